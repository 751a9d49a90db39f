"""Stand-in of awsglue.context: a GlueContext whose bookmarked S3 source lists the local files a test
names in DISCOVERED (Glue would list the S3 objects its bookmark has not seen)."""

from pyspark.sql import SparkSession

from awsglue import CALLS

DISCOVERED = []


class _DynamicFrame:
    def __init__(self, frame):
        self._frame = frame

    def toDF(self):
        return self._frame


class _DynamicFrameReader:
    def __init__(self, spark):
        self._spark = spark

    def from_options(
        self, connection_type, connection_options, format=None, format_options=None, transformation_ctx=""
    ):
        CALLS.append(
            (
                "from_options",
                {
                    "connection_type": connection_type,
                    "connection_options": connection_options,
                    "format": format,
                    "format_options": format_options,
                    "transformation_ctx": transformation_ctx,
                },
            )
        )
        return _DynamicFrame(self._spark.read.text(list(DISCOVERED)))


class GlueContext:
    def __init__(self, spark_context):
        self.spark_session = SparkSession(spark_context)
        self.create_dynamic_frame = _DynamicFrameReader(self.spark_session)
