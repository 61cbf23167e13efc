"""Statistics, the official sheets (花名册, 考勤表, fair summary) and exports (docs/statistics.md).

selectors: who may see what, the figures of events and campaigns, training attendance;
services: what organisers and officers record (employers present, figures entered by hand,
job intentions, assessments, subsidy claims), the per-event summaries and export jobs;
sheets: the exports as tables; writers: those tables as XLSX, CSV and PDF.
"""
