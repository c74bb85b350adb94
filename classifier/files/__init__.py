"""Survey files: reading any Nordic export, finding its columns, writing outputs safely."""
