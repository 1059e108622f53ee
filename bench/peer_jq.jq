# Per-file group counts for the recoup ingest benchmark (one CloudTrail file on stdin).
# Key: recipientAccountId|awsRegion|eventSource|5-min bucket of eventTime|class
# (class rule of bench/gen_corpus.py). Output: one compact object {key: count}.
# group_by (one C sort) instead of reduce/+=, which is quadratic in jq 1.6.
[ .Records[]
  | (.eventTime // "") as $t
  | (($t[14:16] | tonumber? // 0)) as $m
  | (if (.additionalEventData | type) == "object" and .additionalEventData.customKeyStoreId != null then "cks"
     elif .errorCode == null then "ok"
     elif (.errorCode | IN("KMSInternalException", "DependencyTimeoutException",
                             "KeyUnavailableException", "InternalFailure", "ServiceUnavailable")) then "server"
     elif .errorCode == "ThrottlingException" then "throttle"
     else "client" end) as $c
  | (($m - $m % 5) | tostring | if length < 2 then "0" + . else . end) as $mm
  | "\(.recipientAccountId)|\(.awsRegion)|\(.eventSource)|\($t[0:14])\($mm)|\($c)" ]
| group_by(.) | map({key: .[0], value: length}) | from_entries
