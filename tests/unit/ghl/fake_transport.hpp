// A fake HttpTransport for client tests: a route table keyed by "METHOD /path/{param}" patterns,
// scripted responses per route, and a record of every request sent.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ghl/http.hpp"

namespace ghl::testing {

inline constexpr std::string_view kFakeBase = "https://ghl.test";

inline Response json_response(int status, std::string body, Headers headers = {}) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.headers.add("Content-Type", "application/json");
    return r;
}

inline Response transport_error(TransportError error, std::string message = "fake") {
    Response r;
    r.error = error;
    r.error_message = std::move(message);
    return r;
}

class FakeTransport : public HttpTransport {
  public:
    using Handler = std::function<Response(const Request&)>;

    /// Every request to `route` ("GET /contacts/{contactId}") is answered by `handler`.
    void on(const std::string& route, Handler handler) {
        std::lock_guard lock(mutex_);
        routes_[route].handler = std::move(handler);
    }
    /// Queues responses for `route`, answered in order; the last one repeats.
    void reply(const std::string& route, Response response) {
        std::lock_guard lock(mutex_);
        routes_[route].queue.push_back(std::move(response));
    }
    /// Any request not matching a route gets this (default: 200 {}).
    void fallback(Response response) {
        std::lock_guard lock(mutex_);
        fallback_ = std::move(response);
    }

    Response send(const Request& request) override {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        const std::string path = path_of(request.url);
        for (auto& [route, r] : routes_) {
            if (!matches(route, request.method, path)) continue;
            if (r.handler) return r.handler(request);
            if (r.queue.size() > 1) {
                Response out = r.queue.front();
                r.queue.pop_front();
                return out;
            }
            if (!r.queue.empty()) return r.queue.front();
        }
        return fallback_;
    }

    std::vector<Request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::size_t count() const {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }
    Request last() const {
        std::lock_guard lock(mutex_);
        return requests_.back();
    }

    static std::string path_of(const std::string& url) {
        auto scheme = url.find("://");
        auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
        return slash == std::string::npos ? "/" : url.substr(slash);
    }

    /// "GET /contacts/{contactId}" matches GET /contacts/abc (a {param} is one path segment).
    static bool matches(const std::string& route, Method method, const std::string& path) {
        const auto space = route.find(' ');
        if (route.substr(0, space) != to_string(method)) return false;
        std::string_view pattern = std::string_view(route).substr(space + 1);
        std::string_view p = path;
        while (!pattern.empty() && !p.empty()) {
            if (pattern.front() == '{') {
                const auto close = pattern.find('}');
                pattern.remove_prefix(close + 1);
                const auto seg_end = p.find('/');
                if (seg_end == 0) return false;
                p.remove_prefix(seg_end == std::string_view::npos ? p.size() : seg_end);
                continue;
            }
            if (pattern.front() != p.front()) return false;
            pattern.remove_prefix(1);
            p.remove_prefix(1);
        }
        return pattern.empty() && p.empty();
    }

  private:
    struct Route {
        Handler handler;
        std::deque<Response> queue;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Route> routes_;
    std::vector<Request> requests_;
    Response fallback_ = json_response(200, "{}");
};

}  // namespace ghl::testing
