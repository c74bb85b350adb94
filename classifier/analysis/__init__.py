"""What drives detractors: the statistics, the file-level workflow and the HTML report."""
