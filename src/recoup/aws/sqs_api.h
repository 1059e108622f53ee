// Amazon SQS (awsJson1_0, "AmazonSQS"): receiving and deleting messages
// (e.g. aws.health events routed to a queue by EventBridge).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct SqsMessage {
  std::string message_id, receipt_handle, md5_of_body, body;
  std::map<std::string, std::string> attributes;  // system attributes, e.g. SentTimestamp
};

struct ReceiveMessageInput {
  std::string queue_url;        // required
  int max_messages = 10;        // 1..10
  int wait_time_seconds = 0;    // long polling, 0..20
  int visibility_timeout = -1;  // -1: the queue's default
};

class SqsApi {
 public:
  // `client` must be made for services::kSqs and outlive this object.
  explicit SqsApi(ApiClient* client) : client_(client) {}

  Result<std::vector<SqsMessage>> ReceiveMessage(const ReceiveMessageInput& input);
  Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
