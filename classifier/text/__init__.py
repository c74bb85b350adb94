"""Text processing: personal-data masking, language detection, normalisation, features."""
