"""Review metrics and `bbpr report`: each definition on hand-made timelines, the report's
numbers from a real copy file, the command line, and the HTML page in a real browser."""
