#include "recoup/aws/kms_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

namespace {

using nlohmann::json;

void PutContext(json& in, const EncryptionContext& context) {
  if (context.empty()) return;
  json c = json::object();
  for (const auto& [k, v] : context) c[k] = v;
  in["EncryptionContext"] = std::move(c);
}

Result<std::string> Blob(const json& out, const char* key, const char* what) {
  const std::string b64 = JsonString(out, key);
  if (b64.empty()) return DataLoss(std::string("KMS ") + what + ": the response has no " + key);
  auto raw = Base64Decode(b64);
  if (!raw.ok()) {
    return DataLoss(std::string("KMS ") + what + ": " + key + " is not base64");
  }
  return std::move(*raw);
}

}  // namespace

namespace {

// Encrypt and Decrypt: both answer one blob (stored in `blob` of Output),
// the key and the algorithm.
template <typename Output>
Result<Output> CallCrypt(ApiClient* client, const char* operation, json in,
                         const EncryptionContext& context, const char* blob_key,
                         std::string Output::*blob) {
  PutContext(in, context);
  RECOUP_ASSIGN_OR_RETURN(json out, client->CallJson(operation, in));
  Output r;
  RECOUP_ASSIGN_OR_RETURN(r.*blob, Blob(out, blob_key, operation));
  r.key_id = JsonString(out, "KeyId");
  r.encryption_algorithm = JsonString(out, "EncryptionAlgorithm");
  return r;
}

using Key = KmsKeyMetadata;
// clang-format off
constexpr JsonStringField<Key> kKeyMetadataStrings[] = {
    {&Key::key_id, "KeyId"}, {&Key::arn, "Arn"}, {&Key::description, "Description"},
    {&Key::key_state, "KeyState"}, {&Key::key_manager, "KeyManager"}, {&Key::key_spec, "KeySpec"},
    {&Key::key_usage, "KeyUsage"}, {&Key::custom_key_store_id, "CustomKeyStoreId"}};
// clang-format on

}  // namespace

Result<KmsEncryptOutput> KmsApi::Encrypt(const std::string& key_id, const std::string& plaintext,
                                         const EncryptionContext& context) {
  json in = {{"KeyId", key_id}, {"Plaintext", Base64Encode(plaintext)}};
  return CallCrypt(client_, "Encrypt", std::move(in), context, "CiphertextBlob",
                   &KmsEncryptOutput::ciphertext);
}

Result<KmsDecryptOutput> KmsApi::Decrypt(const std::string& ciphertext, const std::string& key_id,
                                         const EncryptionContext& context) {
  json in = {{"CiphertextBlob", Base64Encode(ciphertext)}};
  if (!key_id.empty()) in["KeyId"] = key_id;
  return CallCrypt(client_, "Decrypt", std::move(in), context, "Plaintext",
                   &KmsDecryptOutput::plaintext);
}

Result<KmsDataKey> KmsApi::GenerateDataKey(const std::string& key_id, const std::string& key_spec,
                                           int number_of_bytes, const EncryptionContext& context) {
  json in = {{"KeyId", key_id}};
  if (number_of_bytes > 0) {
    in["NumberOfBytes"] = number_of_bytes;
  } else {
    in["KeySpec"] = key_spec;
  }
  PutContext(in, context);
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("GenerateDataKey", in));
  KmsDataKey r;
  RECOUP_ASSIGN_OR_RETURN(r.plaintext, Blob(out, "Plaintext", "GenerateDataKey"));
  RECOUP_ASSIGN_OR_RETURN(r.ciphertext, Blob(out, "CiphertextBlob", "GenerateDataKey"));
  r.key_id = JsonString(out, "KeyId");
  return r;
}

Result<std::string> KmsApi::GenerateRandom(int number_of_bytes) {
  if (number_of_bytes < 1 || number_of_bytes > 1024) {
    return InvalidArgument("GenerateRandom: number of bytes must be 1..1024");
  }
  RECOUP_ASSIGN_OR_RETURN(
      json out, client_->CallJson("GenerateRandom", {{"NumberOfBytes", number_of_bytes}}));
  return Blob(out, "Plaintext", "GenerateRandom");
}

Result<KmsKeyMetadata> KmsApi::DescribeKey(const std::string& key_id) {
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("DescribeKey", {{"KeyId", key_id}}));
  auto it = out.find("KeyMetadata");
  if (it == out.end() || !it->is_object()) {
    return DataLoss("KMS DescribeKey: the response has no KeyMetadata");
  }
  const json& m = *it;
  KmsKeyMetadata r = ReadJsonStrings(m, kKeyMetadataStrings);
  if (r.key_spec.empty()) r.key_spec = JsonString(m, "CustomerMasterKeySpec");
  r.enabled = JsonBool(m, "Enabled");
  r.multi_region = JsonBool(m, "MultiRegion");
  r.creation_ms = JsonTimeMs(m, "CreationDate");
  return r;
}

}  // namespace recoup::aws
