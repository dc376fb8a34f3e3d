// Error bodies, input checks and route matching shared by every handler.
#include "api.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ghlsim {

ApiError ApiError::bad_request(const std::string& message) {
    return {400, Json{{"statusCode", 400}, {"message", message}, {"error", "Bad Request"}}};
}

ApiError ApiError::unprocessable(std::vector<std::string> messages) {
    return {422, Json{{"statusCode", 422},
                      {"message", std::move(messages)},
                      {"error", "Unprocessable Entity"}}};
}

ApiError ApiError::foreign_location() {
    return {403, Json{{"statusCode", 403},
                      {"message", "The token does not have access to this location."}}};
}

ApiError wrong_auth_class() {
    return {401, Json{{"statusCode", 401},
                      {"message", "This authClass type is not allowed to access this scope. Please "
                                  "reach out to the Platform team to get it added."}}};
}

void not_found(const std::string& what) { throw ApiError::bad_request(what + " not found"); }

std::string Call::query(const std::string& name, const std::string& fallback) const {
    if (!req.has_param(name.c_str())) return fallback;
    return req.get_param_value(name.c_str());
}

std::vector<std::string> Call::query_all(const std::string& name) const {
    std::vector<std::string> out;
    for (const std::string& key : {name, name + "[]"}) {
        const auto range = req.params.equal_range(key);
        for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
    }
    return out;
}

const Json& Call::body() {
    if (!body_) {
        if (req.body.empty()) {
            body_ = Json::object();
        } else {
            Json parsed = Json::parse(req.body, nullptr, false);
            if (parsed.is_discarded()) {
                throw ApiError::bad_request("Unexpected token in JSON at position 0");
            }
            if (!parsed.is_object()) throw ApiError::bad_request("Request body must be an object");
            body_ = std::move(parsed);
        }
    }
    return *body_;
}

namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += sep;
        out += items[i];
    }
    return out;
}

void check_value(const Json& value, const Field& f, std::vector<std::string>& out) {
    switch (f.kind) {
        case Kind::kString:
            if (!value.is_string()) {
                out.push_back(f.name + " must be a string");
            } else if (f.required && value.get<std::string>().empty()) {
                out.push_back(f.name + " should not be empty");
            } else if (!f.one_of.empty() &&
                       std::find(f.one_of.begin(), f.one_of.end(), value.get<std::string>()) ==
                           f.one_of.end()) {
                out.push_back(f.name + " must be one of the following values: " +
                              join(f.one_of, ", "));
            }
            break;
        case Kind::kBool:
            if (!value.is_boolean()) out.push_back(f.name + " must be a boolean value");
            break;
        case Kind::kNumber:
            if (!value.is_number()) {
                out.push_back(f.name + " must be a number conforming to the specified constraints");
            }
            break;
        case Kind::kArray:
            if (!value.is_array()) out.push_back(f.name + " must be an array");
            break;
        case Kind::kStringArray:
            if (!value.is_array()) {
                out.push_back(f.name + " must be an array");
            } else if (!std::all_of(value.begin(), value.end(),
                                    [](const Json& v) { return v.is_string(); })) {
                out.push_back("each value in " + f.name + " must be a string");
            }
            break;
        case Kind::kObject:
            if (!value.is_object()) out.push_back(f.name + " must be an object");
            break;
        case Kind::kAny:
            break;
    }
}

}  // namespace

std::vector<std::string> check_body(const Json& body, const std::vector<Field>& dto,
                                    bool forbid_unknown) {
    std::vector<std::string> out;
    if (forbid_unknown) {
        for (const auto& [key, value] : body.items()) {
            const bool known = std::any_of(dto.begin(), dto.end(),
                                           [&](const Field& f) { return f.name == key; });
            if (!known) out.push_back("property " + key + " should not exist");
        }
    }
    for (const Field& f : dto) {
        const auto it = body.find(f.name);
        if (it == body.end() || it->is_null()) {
            if (f.required) {
                out.push_back(f.name + " should not be empty");
                if (f.kind != Kind::kAny) {
                    Json missing;  // null: reported with the kind's message
                    check_value(missing, f, out);
                }
            }
            continue;
        }
        check_value(*it, f, out);
    }
    return out;
}

void validate_body(const Json& body, const std::vector<Field>& dto, bool forbid_unknown) {
    std::vector<std::string> errors = check_body(body, dto, forbid_unknown);
    if (!errors.empty()) throw ApiError::unprocessable(std::move(errors));
}

namespace {

bool parse_number(const std::string& text, double& out) {
    if (text.empty()) return false;
    std::istringstream in(text);
    in >> out;
    return !in.fail() && in.eof() && std::isfinite(out);
}

}  // namespace

void validate_query(const Call& call, const std::vector<Field>& params) {
    std::vector<std::string> out;
    for (const Field& f : params) {
        if (!call.has_query(f.name)) {
            if (f.required) {
                out.push_back(f.name + " should not be empty");
                if (f.kind == Kind::kString) out.push_back(f.name + " must be a string");
            }
            continue;
        }
        const std::string value = call.query(f.name);
        switch (f.kind) {
            case Kind::kNumber: {
                double number = 0;
                if (!parse_number(value, number)) {
                    out.push_back(f.name +
                                  " must be a number conforming to the specified constraints");
                }
                break;
            }
            case Kind::kBool:
                if (value != "true" && value != "false") {
                    out.push_back(f.name + " must be a boolean value");
                }
                break;
            default:
                if (f.required && value.empty()) out.push_back(f.name + " should not be empty");
                if (!f.one_of.empty() &&
                    std::find(f.one_of.begin(), f.one_of.end(), value) == f.one_of.end()) {
                    out.push_back(f.name + " must be one of the following values: " +
                                  join(f.one_of, ", "));
                }
                break;
        }
    }
    if (!out.empty()) throw ApiError::unprocessable(std::move(out));
}

void check_location(const Store& store, const std::string& location_id) {
    if (location_id != store.location.id) throw ApiError::foreign_location();
}

long query_int(const Call& call, const std::string& name, long fallback, long min, long max) {
    if (!call.has_query(name)) return fallback;
    double number = 0;
    if (!parse_number(call.query(name), number) || number != std::floor(number)) {
        throw ApiError::unprocessable(
            {name + " must be an integer number",
             name + " must be a number conforming to the specified constraints"});
    }
    if (number < static_cast<double>(min)) {
        throw ApiError::unprocessable({name + " must not be less than " + std::to_string(min)});
    }
    if (number > static_cast<double>(max)) {
        throw ApiError::unprocessable({name + " must not be greater than " + std::to_string(max)});
    }
    return static_cast<long>(number);
}

std::string str(const Json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Ms parse_time_field(const std::string& value, const std::string& name) {
    const auto parsed = timeutil::parse_iso(value);
    if (!parsed) throw ApiError::unprocessable({name + " must be a valid ISO 8601 date string"});
    return *parsed;
}

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        if (end > start) out.push_back(path.substr(start, end - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

bool is_param(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

Route& Router::add(const std::string& method, const std::string& pattern,
                   const std::string& version, Handler handler, int validation_status) {
    Route route;
    route.method = method;
    route.pattern = pattern;
    route.segments = split_path(pattern);
    route.version = version;
    route.handler = std::move(handler);
    route.validation_status = validation_status;
    routes_.push_back(std::move(route));
    return routes_.back();
}

const Route* Router::match(const std::string& method, const std::string& path,
                           std::map<std::string, std::string>& params) const {
    const std::vector<std::string> parts = split_path(path);
    const Route* best = nullptr;
    std::vector<bool> best_static;
    for (const Route& route : routes_) {
        if (route.method != method || route.segments.size() != parts.size()) continue;
        std::vector<bool> is_static(parts.size());
        bool ok = true;
        for (std::size_t i = 0; i < parts.size() && ok; ++i) {
            is_static[i] = !is_param(route.segments[i]);
            ok = !is_static[i] || route.segments[i] == parts[i];
        }
        // Lexicographically more static segments, from the left, wins.
        if (ok && (best == nullptr || is_static > best_static)) {
            best = &route;
            best_static = is_static;
        }
    }
    if (best != nullptr) {
        params.clear();
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string& seg = best->segments[i];
            if (is_param(seg)) params[seg.substr(1, seg.size() - 2)] = parts[i];
        }
    }
    return best;
}

Contact& contact_or_400(Store& store, const std::string& id) {
    const auto it = store.contacts.find(id);
    if (it == store.contacts.end()) not_found("Contact");
    return it->second;
}

}  // namespace ghlsim
