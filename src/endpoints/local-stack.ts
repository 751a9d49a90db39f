import { locationUri } from "../catalog/crawler.js";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { bucketHomePrefix, type BucketRole, type Storage } from "../storage/storage.js";

/**
 * The names the local endpoints answer to: the local twin of what infra/ creates (infra/main.tf derives
 * every name from `project_name`, default `clickstream-pipeline`; buckets are
 * `<project>-<role>-<account>-<region>`). One home, so the Athena, Glue, S3 and STS APIs agree.
 */
export interface LocalStack {
  readonly region: string;
  /** The account every ARN and GetCallerIdentity names (LocalStack's and moto's default). */
  readonly accountId: string;
  /** Glue database of the pipeline (`catalog.databaseName`). */
  readonly database: string;
  /** Athena's catalog name for the Glue Data Catalog. */
  readonly dataCatalog: string;
  /** The workgroup infra/athena.tf creates, then Athena's own default one. */
  readonly workgroups: readonly string[];
  /** S3 bucket name of each warehouse folder. */
  readonly buckets: Readonly<Partial<Record<BucketRole, string>>>;
  /** Where query results go when neither the request nor the workgroup names a place (the workgroup's setting). */
  readonly resultsLocation: string;
  /** The project every name derives from (infra/'s `project_name`). */
  readonly project: string;
  /** Glue job of the transform (infra/main.tf's `job_name`, as the seed walk-through calls it). */
  readonly jobName: string;
  /** Glue crawler of transformed/. */
  readonly crawlerName: string;
  /** IAM roles the job and the crawler run as (infra/iam.tf). */
  readonly jobRole: string;
  readonly crawlerRole: string;
}

/** infra/variables.tf's default `project_name`. */
const defaultProjectName = "clickstream-pipeline";
const localAccountId = "000000000000";
/** Athena names the Glue Data Catalog so (ListDataCatalogs); queries accept it in any case. */
const glueDataCatalogName = "AwsDataCatalog";
/** Athena's EngineVersion, as GetWorkGroup and GetQueryExecution report it (Grafana reads it). */
export const athenaEngineVersion = {
  SelectedEngineVersion: "AUTO",
  EffectiveEngineVersion: "Athena engine version 3",
} as const;

/** The local stack of a configuration, named as infra/ names a deployment of `project` in `region`. */
export function localStack(
  config: Pick<ClickstreamConfig, "catalog">,
  region: string,
  project = defaultProjectName,
): LocalStack {
  const bucket = (suffix: string): string => `${project}-${suffix}-${localAccountId}-${region}`;
  const buckets: Partial<Record<BucketRole, string>> = {
    raw: bucket("raw"),
    transformed: bucket("transformed"),
    errors: bucket("errors"),
    "athena-results": bucket("athena-results"),
  };
  return {
    region,
    accountId: localAccountId,
    database: config.catalog.databaseName,
    dataCatalog: glueDataCatalogName,
    workgroups: [`${project}-workgroup`, "primary"],
    buckets,
    resultsLocation: `s3://${buckets["athena-results"]}/${bucketHomePrefix["athena-results"]}`,
    project,
    jobName: `${project}-transform-job`,
    crawlerName: `${project}-crawler`,
    jobRole: `arn:aws:iam::${localAccountId}:role/${project}-glue-job`,
    crawlerRole: `arn:aws:iam::${localAccountId}:role/${project}-glue-crawler`,
  };
}

/**
 * The catalog's Location URIs as the local stack's S3 shows them: a local warehouse's
 * `file:///…/transformed/…` becomes `s3://<transformed bucket>/transformed/…`, readable through the S3
 * endpoint; other locations (a catalog crawled on S3) are kept.
 */
export function s3Locations(
  storage: Storage,
  stack: LocalStack,
): (uri: string | undefined) => string | undefined {
  const root = locationUri(storage, "");
  const bucket = stack.buckets.transformed;
  return (uri) =>
    uri !== undefined && root.startsWith("file:") && uri.startsWith(root) && bucket !== undefined
      ? `s3://${bucket}/${uri.slice(root.length)}`
      : uri;
}
