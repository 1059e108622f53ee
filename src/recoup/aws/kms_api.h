// AWS KMS (awsJson1_1, "TrentService"): the operations recoup's probes and
// tests call. Blobs are raw bytes here (base64 only on the wire). Plaintexts
// are secrets: never log them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

using EncryptionContext = std::map<std::string, std::string>;

struct KmsEncryptOutput {
  std::string ciphertext;  // raw bytes
  std::string key_id;      // key ARN
  std::string encryption_algorithm;
};

struct KmsDecryptOutput {
  std::string plaintext;  // raw bytes
  std::string key_id;
  std::string encryption_algorithm;
};

struct KmsDataKey {
  std::string plaintext, ciphertext;  // raw bytes
  std::string key_id;
};

struct KmsKeyMetadata {
  std::string key_id, arn, description;
  std::string key_state;  // "Enabled", "Disabled", "PendingDeletion", ...
  std::string key_manager;
  std::string key_spec, key_usage;
  std::string custom_key_store_id;  // non-empty: failures may be excluded from the SLA
  bool enabled = false;
  bool multi_region = false;
  int64_t creation_ms = 0;
};

class KmsApi {
 public:
  // `client` must be made for services::kKms and outlive this object.
  explicit KmsApi(ApiClient* client) : client_(client) {}

  Result<KmsEncryptOutput> Encrypt(const std::string& key_id, const std::string& plaintext,
                                   const EncryptionContext& context = {});
  // `key_id` may be empty for symmetric keys.
  Result<KmsDecryptOutput> Decrypt(const std::string& ciphertext, const std::string& key_id = "",
                                   const EncryptionContext& context = {});
  // `key_spec` "AES_256" or "AES_128"; or number_of_bytes > 0 instead.
  Result<KmsDataKey> GenerateDataKey(const std::string& key_id,
                                     const std::string& key_spec = "AES_256",
                                     int number_of_bytes = 0,
                                     const EncryptionContext& context = {});
  Result<std::string> GenerateRandom(int number_of_bytes);
  Result<KmsKeyMetadata> DescribeKey(const std::string& key_id);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
