"""A STAND-IN for AWS Glue's `awsglue` runtime, for tests only (listed in docs/aws.md).

The real library drives Glue's JVM classes, which exist only inside AWS Glue (their jar is in AWS's own
Maven repository; PyPI's awsglue-dev is the Python half alone and fails without them). This stand-in
implements just what glue/clickstream_transform.py calls, and records the calls, so a test can check
the entry's Glue-specific part: arguments, job.init first, the bookmarked source, job.commit last.
"""

CALLS = []
