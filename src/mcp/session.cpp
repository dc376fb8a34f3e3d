// Session bookkeeping: cancellation flags, pending server-to-client requests, random ids.
#include "mcp/session.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace mcp {

std::string random_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (unsigned char b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xF]);
    }
    return out;
}

void Session::set_standalone(std::shared_ptr<Channel> channel) {
    std::lock_guard lock(mu);
    standalone_ = std::move(channel);
}

std::shared_ptr<Channel> Session::standalone() const {
    std::lock_guard lock(mu);
    return standalone_;
}

CancelFlag Session::begin_request(const json& id) {
    auto flag = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lock(mu);
    std::string key = id.dump();
    // The cancellation may have overtaken the request (it was queued for a worker).
    if (early_cancelled_.erase(key)) flag->store(true);
    in_flight_[key] = flag;
    return flag;
}

void Session::end_request(const json& id) {
    std::lock_guard lock(mu);
    in_flight_.erase(id.dump());
}

bool Session::cancel_request(const json& id) {
    std::lock_guard lock(mu);
    std::string key = id.dump();
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) {
        // Not started yet (or already done): remember it, boundedly, so a request that is
        // still queued starts cancelled. Request ids are never reused within a session.
        if (early_cancelled_.insert(key).second) {
            early_order_.push_back(key);
            if (early_order_.size() > kMaxEarlyCancels) {
                early_cancelled_.erase(early_order_.front());
                early_order_.pop_front();
            }
        }
        return false;
    }
    it->second->store(true);
    return true;
}

std::pair<json, std::future<json>> Session::new_outbound_request() {
    std::lock_guard lock(mu);
    json id = "srv-" + std::to_string(next_outbound_id_++);
    std::promise<json> promise;
    auto future = promise.get_future();
    pending_.emplace(id.dump(), std::move(promise));
    return {id, std::move(future)};
}

bool Session::resolve(const json& id, json response) {
    std::lock_guard lock(mu);
    auto it = pending_.find(id.dump());
    if (it == pending_.end()) return false;
    it->second.set_value(std::move(response));
    pending_.erase(it);
    return true;
}

void Session::abandon(const json& id) {
    std::lock_guard lock(mu);
    pending_.erase(id.dump());
}

void Session::close() {
    closed_ = true;
    std::shared_ptr<Channel> standalone;
    {
        std::lock_guard lock(mu);
        for (auto& [id, flag] : in_flight_) flag->store(true);
        for (auto& [id, promise] : pending_)
            promise.set_value(json{{"error", {{"code", -32603}, {"message", "session closed"}}}});
        pending_.clear();
        standalone = standalone_;
    }
    // Outside the lock: ending the stream wakes its writer, which may look at this session.
    if (standalone) standalone->close();
}

}  // namespace mcp
