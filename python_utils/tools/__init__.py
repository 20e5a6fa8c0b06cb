"""Tools around the project, never shipped to Snowflake: demo data (synth), the CDNOW loader,
the report, publishing the BI copy, local runs and packaging the runtime."""
