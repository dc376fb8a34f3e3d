#include "events/receiver.hpp"
#include "core/json.hpp"
#include "core/net.hpp"

#include <httplib.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace events {
namespace {

constexpr std::size_t kMaxPendingNotifications = 10000;
constexpr std::size_t kMaxKey = 200;
constexpr int kRetryAfterS = 60;

std::string sha256_hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(2 * sizeof digest);
    for (unsigned char c : digest) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::string string_at(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Reply refuse(int status, std::string message) {
    return {status, json{{"ok", false}, {"error", std::move(message)}}, 0};
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// "application/json", any case, with or without parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view content_type) {
    auto type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    return iequals(type, "application/json");
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> delivery_time(const json& body) {
    using namespace std::chrono;
    auto it = body.find("timestamp");
    if (it == body.end()) return std::nullopt;
    if (it->is_number_integer()) {
        const std::int64_t n = it->get<std::int64_t>();
        // Milliseconds, as GHL writes times elsewhere; a value below 10^11 can only be seconds
        // (as milliseconds it would be early 1973).
        if (n <= 0 || n > 100'000'000'000'000) return std::nullopt;
        const milliseconds ms = n < 100'000'000'000 ? milliseconds(seconds(n)) : milliseconds(n);
        return system_clock::time_point(duration_cast<system_clock::duration>(ms));
    }
    system_clock::time_point t;
    if (it->is_string() && parse_iso(it->get_ref<const std::string&>(), t)) return t;
    return std::nullopt;
}

std::string iso_utc(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];  // room for any int the compiler cannot rule out (-Wformat-truncation)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

bool parse_iso(std::string_view text, std::chrono::system_clock::time_point& out) {
    // Digits at fixed places, then optional fraction, then Z or an offset.
    if (text.size() < 20 || text.size() > 40) return false;
    auto digits = [&](std::size_t at, std::size_t n, int& v) {
        v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            v = v * 10 + (text[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s;
    if (!digits(0, 4, y) || text[4] != '-' || !digits(5, 2, mo) || text[7] != '-' ||
        !digits(8, 2, d) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !digits(11, 2, h) || text[13] != ':' || !digits(14, 2, mi) || text[16] != ':' ||
        !digits(17, 2, s))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
    std::size_t i = 19;
    long millis = 0;
    if (i < text.size() && text[i] == '.') {
        int scale = 100;
        for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            millis += (text[i] - '0') * scale;
            scale /= 10;
        }
    }
    long offset_s = 0;
    if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
        ++i;
    } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
        int oh, om;
        if (!digits(i + 1, 2, oh) || !digits(i + 4, 2, om)) return false;
        offset_s = (oh * 3600L + om * 60L) * (text[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return false;
    }
    if (i != text.size()) return false;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    const std::time_t secs = timegm(&tm);
    out =
        std::chrono::system_clock::from_time_t(secs - offset_s) + std::chrono::milliseconds(millis);
    return true;
}

Event describe(const json& body, std::string_view raw) {
    Event e;
    e.type = string_at(body, "type");
    e.location_id = string_at(body, "locationId");
    const std::string webhook_id = string_at(body, "webhookId");
    e.key = !webhook_id.empty() && webhook_id.size() <= kMaxKey ? webhook_id
                                                                : "sha256:" + sha256_hex(raw);
    e.contact_id = string_at(body, "contactId");
    if (e.contact_id.empty())
        if (auto a = body.find("appointment"); a != body.end() && a->is_object())
            e.contact_id = string_at(*a, "contactId");
    if (e.contact_id.empty() && e.type.rfind("Contact", 0) == 0)
        e.contact_id = string_at(body, "id");
    e.occurred_at = string_at(body, "timestamp");
    return e;
}

Receiver::Receiver(EventStore& store, ReceiverOptions options)
    : store_(store), options_(std::move(options)) {
    if (!options_.insecure)
        verifier_ = std::make_unique<SignatureVerifier>(options_.ed25519_public_pem,
                                                        options_.rsa_public_pem);
    if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
    // A delivery older than the store's memory of keys could be a replay it no longer knows.
    // The store forgets by the time it received an event, and a delivery may say it happened up
    // to max_future after that: keep that much short of the store's window.
    const auto window = store_.dedupe_window() - std::min(store_.dedupe_window(), options_.max_future);
    options_.max_age = std::min(options_.max_age, window);
    thread_ = std::thread([this] { notifier(); });
}

Receiver::~Receiver() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

Receiver::Counters Receiver::counters() const {
    Counters c;
    c.received = counters_.received;
    c.stored = counters_.stored;
    c.duplicates = counters_.duplicates;
    c.unauthorized = counters_.unauthorized;
    c.malformed = counters_.malformed;
    c.stale = counters_.stale;
    c.too_large = counters_.too_large;
    c.store_failures = counters_.store_failures;
    c.notifications_dropped = counters_.notifications_dropped;
    return c;
}

Reply Receiver::receive(std::string_view body, const DeliveryHeaders& headers) {
    ++counters_.received;
    // GHL posts server to server: no Origin. A browser adds one to every cross-site POST, so a
    // foreign Origin is a web page trying to inject an event (signed deliveries included: no
    // page can have a reason to post here).
    if (headers.origin && !is_loopback_origin(*headers.origin)) {
        ++counters_.unauthorized;
        return refuse(403, "deliveries from a web page (Origin header) are not accepted; GHL "
                           "sends none");
    }
    // Unsigned deliveries (--webhooks-insecure) must be JSON as GHL's are: a page can post
    // text/plain or a form cross-site without a CORS preflight, but not application/json.
    if (!verifier_ && !is_json_media_type(headers.content_type)) {
        ++counters_.unauthorized;
        return refuse(415, "deliveries must be sent with Content-Type: application/json");
    }
    if (body.size() > options_.max_body) {
        ++counters_.too_large;
        return refuse(413,
                      "the body is larger than " + std::to_string(options_.max_body) + " bytes");
    }
    if (verifier_) {
        const Verdict v = verifier_->verify(body, headers.ghl_signature, headers.wh_signature);
        if (v != Verdict::kValid) {
            ++counters_.unauthorized;
            return refuse(401, std::string("the webhook signature is ") + to_string(v));
        }
    }
    bool too_deep = false;
    json parsed = core::parse_json_or_discard(body, core::kMaxJsonDepth, &too_deep);
    if (parsed.is_discarded() || !parsed.is_object()) {
        ++counters_.malformed;
        return refuse(400, too_deep ? "the body nests JSON more than " +
                                          std::to_string(core::kMaxJsonDepth) + " levels deep"
                                    : "the body is not a JSON object");
    }
    Event e = describe(parsed, body);
    const auto now = options_.now();
    e.received_at = iso_utc(now);
    // Deduplication remembers a delivery for dedupe_window() only, and a signature covers the
    // body alone: a body without a time we can check could be replayed once its twin is
    // forgotten and be taken for a new event. So a delivery must say when it happened, as every
    // GHL delivery does since its webhook authentication update (integrations.md 5): a UTC
    // ISO time ("2026-12-07T10:00:00.000Z"), or epoch milliseconds. Missing, unparsable or
    // zone-less (which instant?) timestamps get a final 400 that says why (GHL retries only 429).
    const auto when = delivery_time(parsed);
    if (!when) {
        ++counters_.malformed;
        return refuse(400, "the delivery has no usable timestamp: send \"timestamp\" as ISO 8601 "
                           "with a zone (\"2026-12-07T10:00:00.000Z\") or epoch milliseconds");
    }
    if (*when < now - options_.max_age || *when > now + options_.max_future) {
        ++counters_.stale;
        return refuse(400, "the delivery's timestamp " + iso_utc(*when) +
                               " is outside the accepted window (replayed or a wrong clock)");
    }
    if (e.occurred_at.empty()) e.occurred_at = iso_utc(*when);  // a number: stored as ISO
    e.body.assign(body.data(), body.size());

    Appended result;
    try {
        result = store_.append(e);
    } catch (const std::exception& ex) {
        ++counters_.store_failures;
        spdlog::error("webhooks: the event store refused a {} delivery: {}", e.type, ex.what());
        // 429 is the one status GHL retries on: the delivery comes back later, nothing is lost.
        return {429, json{{"ok", false}, {"error", "the event store is unavailable; retry later"}},
                kRetryAfterS};
    }
    if (result == Appended::kDuplicate) {
        ++counters_.duplicates;
        return {200, json{{"ok", true}, {"duplicate", true}}, 0};
    }
    ++counters_.stored;
    if (options_.on_event) {
        std::lock_guard lock(mu_);
        if (pending_.size() < kMaxPendingNotifications) {
            pending_.push_back(e);
            cv_.notify_one();
        } else {
            ++counters_.notifications_dropped;  // the event is stored; only the hint is lost
        }
    }
    return {200, json{{"ok", true}, {"duplicate", false}, {"seq", e.seq}}, 0};
}

void Receiver::notifier() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) return;  // stopping, and everything delivered
        Event e = std::move(pending_.front());
        pending_.pop_front();
        lock.unlock();
        try {
            options_.on_event(e);
        } catch (const std::exception& ex) {
            spdlog::warn("webhooks: notifying about event {} failed: {}", e.seq, ex.what());
        }
        lock.lock();
    }
}

void Receiver::mount(httplib::Server& http, const std::string& path) {
    http.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
        const std::string ghl_signature = req.get_header_value("X-GHL-Signature");
        const std::string wh_signature = req.get_header_value("X-WH-Signature");
        const std::string origin = req.get_header_value("Origin");
        const std::string content_type = req.get_header_value("Content-Type");
        DeliveryHeaders h{ghl_signature, wh_signature, std::nullopt, content_type};
        if (req.has_header("Origin")) h.origin = origin;
        Reply r = receive(req.body, h);
        res.status = r.status;
        if (r.retry_after_s > 0) res.set_header("Retry-After", std::to_string(r.retry_after_s));
        res.set_content(r.body.dump(), "application/json");
    });
}

}  // namespace events
