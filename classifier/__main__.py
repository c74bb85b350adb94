"""`python -m classifier` runs the `classify` command."""

if __name__ == "__main__":
    from classifier.cli import app

    app(prog_name="classify")
