"""`python -m classifier` runs the `classify` command."""

if __name__ == "__main__":
    from classifier.cli import run

    run(prog_name="classify")
