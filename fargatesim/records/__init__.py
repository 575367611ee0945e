"""What AWS and web servers record about a running service, read as pandas tables.

    from fargatesim.records import read_alb_logs, read_access_logs, read_metric_data, read_tasks
    for chunk in read_alb_logs("AWSLogs/"):          # a file or an S3 delivery folder, .gz or not
        ...                                           # chunk: DataFrame of up to 200,000 requests

Log readers stream (a month of logs need not fit in memory); each malformed line is a
ScenarioError naming its file and line. The writers (alb_log_lines, metric_data_document,
tasks_document) produce the same formats, for what a simulated run would have recorded.
"""
from .access_logs import access_log_frame, read_access_logs
from .alb_logs import alb_log_frame, alb_log_lines, read_alb_logs
from .cloudwatch_data import metric_data_document, metric_series, read_metric_data
from .ecs_tasks import read_tasks, startup_seconds, tasks_document
from .folder import record_files

__all__ = ["access_log_frame", "alb_log_frame", "alb_log_lines", "metric_data_document", "read_access_logs",
           "metric_series", "read_alb_logs", "read_metric_data", "read_tasks", "record_files", "startup_seconds", "tasks_document"]
