"""Review metrics and `bbpr report`, from the local copy: the per-pull-request definitions
(`metrics`, in SQL, with `working_time`), the report's aggregates (`numbers`,
`contributors`, `percentiles`), where they are read from (`source`), the typed records
(`records`), the tables and charts every output draws (`tables`, `charts`, `vega`, `page`),
and the library's face (`library`)."""
