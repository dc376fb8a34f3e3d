// Parsing of the --rate and --faults specifications.
#include "ghlsim/simulator.hpp"

#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string>

namespace ghlsim {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

long parse_long(std::string_view text, const std::string& what) {
    text = trim(text);
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        throw std::invalid_argument(what + ": not a whole number: '" + std::string(text) + "'");
    }
    return value;
}

double parse_double(std::string_view text, const std::string& what) {
    text = trim(text);
    try {
        std::size_t used = 0;
        const std::string copy(text);
        const double value = std::stod(copy, &used);
        if (used != copy.size()) throw std::invalid_argument("trailing characters");
        return value;
    } catch (const std::exception&) {
        throw std::invalid_argument(what + ": not a number: '" + std::string(text) + "'");
    }
}

}  // namespace

RateLimit RateLimit::parse(std::string_view spec) {
    const std::string whole(spec);
    const auto slash = spec.find('/');
    if (slash == std::string_view::npos) {
        throw std::invalid_argument("rate '" + whole + "': expected N/INTERVAL, e.g. 100/10s");
    }
    RateLimit out;
    const long max = parse_long(spec.substr(0, slash), "rate '" + whole + "'");
    std::string_view interval = trim(spec.substr(slash + 1));
    long multiplier = 1;  // milliseconds
    if (interval.size() > 2 && interval.substr(interval.size() - 2) == "ms") {
        interval.remove_suffix(2);
    } else if (!interval.empty() && interval.back() == 's') {
        multiplier = 1000;
        interval.remove_suffix(1);
    } else if (!interval.empty() && interval.back() == 'm') {
        multiplier = 60 * 1000;
        interval.remove_suffix(1);
    } else if (!interval.empty() && interval.back() == 'h') {
        multiplier = 3600 * 1000;
        interval.remove_suffix(1);
    }
    const long count = interval.empty() ? 1 : parse_long(interval, "rate '" + whole + "'");
    if (max <= 0 || count <= 0 || count > 24L * 3600 * 1000 / multiplier) {
        throw std::invalid_argument("rate '" + whole + "': both numbers must be positive");
    }
    out.max_requests = static_cast<int>(max);
    out.interval_ms = static_cast<int>(count * multiplier);
    return out;
}

Faults Faults::parse(std::string_view spec) {
    Faults out;
    std::string_view rest = trim(spec);
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) {
            throw std::invalid_argument("faults: expected key=value, got '" + std::string(item) +
                                        "'");
        }
        const std::string key(trim(item.substr(0, eq)));
        const std::string_view value = item.substr(eq + 1);
        const std::string what = "faults '" + key + "'";
        if (key == "5xx" || key == "reset") {
            const double ratio = parse_double(value, what);
            if (ratio < 0.0 || ratio > 1.0) {
                throw std::invalid_argument(what + ": a ratio between 0 and 1");
            }
            (key == "5xx" ? out.error_5xx_ratio : out.reset_ratio) = ratio;
        } else if (key == "latency" || key == "burst429") {
            const long number = parse_long(value, what);
            if (number < 0 || number > 600000) {
                throw std::invalid_argument(what + ": must be between 0 and 600000");
            }
            (key == "latency" ? out.latency_ms : out.burst_429) = static_cast<int>(number);
        } else {
            throw std::invalid_argument("faults: unknown key '" + key +
                                        "' (known: 5xx, reset, latency, burst429)");
        }
    }
    return out;
}

}  // namespace ghlsim
