import { AwsError } from "./aws-error.js";
import { xmlText, type QueryService } from "./endpoint-router.js";
import type { LocalStack } from "./local-stack.js";

/**
 * STS on the query protocol: GetCallerIdentity (dbt-athena and awswrangler call it before anything else).
 * The caller is the local account's root: the endpoint has one identity, whatever the keys.
 */
export function stsApi(stack: LocalStack): QueryService {
  return {
    signingName: "sts",
    xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
    call: async (action) => {
      if (action !== "GetCallerIdentity")
        throw new AwsError(
          "InvalidAction",
          `Action ${action} of sts is not served by this local endpoint (served: GetCallerIdentity)`,
        );
      return (
        `<Arn>${xmlText(`arn:aws:iam::${stack.accountId}:root`)}</Arn>` +
        `<UserId>${stack.accountId}</UserId><Account>${stack.accountId}</Account>`
      );
    },
  };
}
