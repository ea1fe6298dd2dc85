"""Review metrics and `bbpr report`, from the local copy: the per-pull-request definitions
(`metrics`), the report's numbers (`numbers`), where they are read from (`source`), their
charts (`charts`, drawn by `vega` for the page) and the HTML page (`page`)."""
