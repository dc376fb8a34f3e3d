#include "ghl/token_store.hpp"

#include <algorithm>
#include <chrono>

namespace ghl {

std::string_view to_string(UserType type) {
    return type == UserType::kCompany ? "Company" : "Location";
}

std::optional<UserType> parse_user_type(std::string_view text) {
    if (text == "Location" || text == "location") return UserType::kLocation;
    if (text == "Company" || text == "company" || text == "agency" || text == "Agency")
        return UserType::kCompany;
    return std::nullopt;
}

std::string identity_key_for_company(std::string_view company_id) {
    return "company:" + std::string(company_id);
}

std::string identity_key_for_location(std::string_view location_id) {
    return "location:" + std::string(location_id);
}

std::string identity_key_for_minted(std::string_view company_id, std::string_view location_id) {
    return identity_key_for_company(company_id) + "/" + identity_key_for_location(location_id);
}

std::vector<Identity> MemoryTokenStore::list() {
    std::lock_guard lock(mu_);
    auto out = items_;
    std::sort(out.begin(), out.end(),
              [](const Identity& a, const Identity& b) { return a.key < b.key; });
    return out;
}

std::optional<Identity> MemoryTokenStore::load(const std::string& key) {
    std::lock_guard lock(mu_);
    for (const auto& i : items_)
        if (i.key == key) return i;
    return std::nullopt;
}

void MemoryTokenStore::save(const Identity& identity) {
    std::lock_guard lock(mu_);
    Identity copy = identity;
    copy.updated_at = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    for (auto& i : items_) {
        if (i.key == identity.key) {
            i = std::move(copy);
            return;
        }
    }
    items_.push_back(std::move(copy));
}

bool MemoryTokenStore::remove(const std::string& key) {
    std::lock_guard lock(mu_);
    const auto before = items_.size();
    std::erase_if(items_, [&](const Identity& i) { return i.key == key || i.parent == key; });
    return items_.size() != before;
}

void MemoryTokenStore::clear() {
    std::lock_guard lock(mu_);
    items_.clear();
}

}  // namespace ghl
