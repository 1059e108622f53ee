#include "recoup/aws/sqs_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

Result<std::vector<SqsMessage>> SqsApi::ReceiveMessage(const ReceiveMessageInput& input) {
  using nlohmann::json;
  if (input.queue_url.empty()) return InvalidArgument("ReceiveMessage: no queue URL");
  json in = {{"QueueUrl", input.queue_url},
             {"MaxNumberOfMessages", input.max_messages},
             {"WaitTimeSeconds", input.wait_time_seconds},
             {"MessageSystemAttributeNames", json::array({"All"})}};
  if (input.visibility_timeout >= 0) in["VisibilityTimeout"] = input.visibility_timeout;
  // Receiving changes visibility but loses nothing if repeated.
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("ReceiveMessage", in));
  std::vector<SqsMessage> messages;
  for (const auto& m : JsonArray(out, "Messages")) {
    SqsMessage msg{.message_id = JsonString(m, "MessageId"),
                   .receipt_handle = JsonString(m, "ReceiptHandle"),
                   .md5_of_body = JsonString(m, "MD5OfBody"),
                   .body = JsonString(m, "Body"),
                   .attributes = {}};
    if (auto a = m.find("Attributes"); a != m.end() && a->is_object()) {
      for (auto it = a->begin(); it != a->end(); ++it) {
        if (it.value().is_string()) msg.attributes[it.key()] = it.value().get<std::string>();
      }
    }
    messages.push_back(std::move(msg));
  }
  return messages;
}

Status SqsApi::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) {
  if (queue_url.empty() || receipt_handle.empty()) {
    return InvalidArgument("DeleteMessage: queue URL and receipt handle are required");
  }
  return client_
      ->CallJson("DeleteMessage", {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}})
      .status();
}

}  // namespace recoup::aws
