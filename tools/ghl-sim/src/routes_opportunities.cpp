// Opportunities [D:opportunities], Version 2021-07-28: search (snake_case query, page or the
// startAfter + startAfterId cursor), CRUD, status, upsert, pipelines and lost reasons.
#include "api.hpp"

#include <algorithm>
#include <cmath>

namespace ghlsim {

namespace {

using timeutil::kDay;

constexpr const char* V = kVersionDefault;

const std::vector<std::string> kStatusEnum = {"open", "won", "lost", "abandoned", "all"};

Opportunity& opportunity_or_400(Store& store, const std::string& id) {
    const auto it = store.opportunities.find(id);
    if (it == store.opportunities.end()) not_found("Opportunity");
    return it->second;
}

const Pipeline& pipeline_or_400(const Store& store, const std::string& id) {
    const Pipeline* p = store.pipeline(id);
    if (p == nullptr) not_found("Pipeline");
    return *p;
}

void check_status(const std::string& status) {
    if (status == "all") {
        throw ApiError::unprocessable(
            {"status must be one of the following values: open, won, lost, abandoned"});
    }
}

Json detailed(const Call& call, const Opportunity& o) {
    Json j = call.store.opportunity_json(o);
    const auto flag = [&](const char* name) { return call.query(name) == "true"; };
    if (flag("getNotes") || flag("getTasks") || flag("getCalendarEvents")) {
        for (const auto& [id, n] : call.store.notes) {
            if (flag("getNotes") && n.contact_id == o.contact_id) {
                j["notes"].push_back(call.store.note_json(n));
            }
        }
        for (const auto& [id, t] : call.store.tasks) {
            if (flag("getTasks") && t.contact_id == o.contact_id) {
                j["tasks"].push_back(call.store.task_json(t));
            }
        }
        for (const auto& [id, a] : call.store.appointments) {
            if (flag("getCalendarEvents") && a.contact_id == o.contact_id) {
                j["calendarEvents"].push_back(call.store.event_json(a));
            }
        }
    }
    return j;
}

bool matches_q(const Store& store, const Opportunity& o, const std::string& q) {
    if (q.empty()) return true;
    const std::string needle = lower(q);
    if (lower(o.name).find(needle) != std::string::npos) return true;
    const auto it = store.contacts.find(o.contact_id);
    if (it == store.contacts.end()) return false;
    const Contact& c = it->second;
    for (const std::string& text : {lower(c.full_name()), lower(c.email), c.phone}) {
        if (!text.empty() && text.find(needle) != std::string::npos) return true;
    }
    return false;
}

Reply search(Call& call) {
    validate_query(call, {{"location_id", Kind::kString, true},
                          {"status", Kind::kString, false, kStatusEnum},
                          {"order", Kind::kString, false, {"added_asc", "added_desc"}},
                          {"startAfter", Kind::kNumber},
                          {"page", Kind::kNumber},
                          {"limit", Kind::kNumber},
                          {"getTasks", Kind::kBool},
                          {"getNotes", Kind::kBool},
                          {"getCalendarEvents", Kind::kBool}});
    const Store& store = call.store;
    check_location(store, call.query("location_id"));
    const long limit = query_int(call, "limit", 20, 1, 100);
    const long page = query_int(call, "page", 1, 1, 1000000);
    std::optional<Ms> from;
    std::optional<Ms> to;
    if (call.has_query("date")) {
        from = timeutil::parse_mdy(call.query("date"));
        if (!from) throw ApiError::unprocessable({"date must be in mm-dd-yyyy format"});
    }
    if (call.has_query("endDate")) {
        to = timeutil::parse_mdy(call.query("endDate"));
        if (!to) throw ApiError::unprocessable({"endDate must be in mm-dd-yyyy format"});
        *to += kDay;  // inclusive day
    }
    const std::string status = call.query("status", "all");
    const bool ascending = call.query("order") == "added_asc";

    std::vector<const Opportunity*> hits;
    for (const auto& [id, o] : store.opportunities) {
        if (call.has_query("pipeline_id") && o.pipeline_id != call.query("pipeline_id")) continue;
        if (call.has_query("pipeline_stage_id") && o.stage_id != call.query("pipeline_stage_id")) {
            continue;
        }
        if (call.has_query("contact_id") && o.contact_id != call.query("contact_id")) continue;
        if (call.has_query("assigned_to") && o.assigned_to != call.query("assigned_to")) continue;
        if (call.has_query("id") && o.id != call.query("id")) continue;
        if (status != "all" && o.status != status) continue;
        if (from && o.created_at < *from) continue;
        if (to && o.created_at >= *to) continue;
        if (call.has_query("country")) {
            const auto it = store.contacts.find(o.contact_id);
            if (it == store.contacts.end() || it->second.country != call.query("country")) continue;
        }
        if (!matches_q(store, o, call.query("q"))) continue;
        hits.push_back(&o);
    }
    const auto before = [ascending](Ms a_at, const std::string& a_id, Ms b_at,
                                    const std::string& b_id) {
        if (a_at != b_at) return ascending ? a_at < b_at : a_at > b_at;
        return a_id < b_id;
    };
    std::sort(hits.begin(), hits.end(), [&](const Opportunity* a, const Opportunity* b) {
        return before(a->created_at, a->id, b->created_at, b->id);
    });

    std::size_t first = 0;
    const bool cursor = call.has_query("startAfter") || call.has_query("startAfterId");
    if (cursor) {
        Ms after_at = 0;
        std::string after_id = call.query("startAfterId");
        if (call.has_query("startAfter")) {
            after_at = std::stoll(call.query("startAfter"));
        } else {
            const auto it = store.opportunities.find(after_id);
            if (it == store.opportunities.end()) not_found("Opportunity");
            after_at = it->second.created_at;
        }
        while (first < hits.size() &&
               !before(after_at, after_id, hits[first]->created_at, hits[first]->id)) {
            ++first;
        }
    } else {
        first = std::min(hits.size(), static_cast<std::size_t>((page - 1) * limit));
    }
    const std::size_t end = std::min(hits.size(), first + static_cast<std::size_t>(limit));
    Json list = Json::array();
    for (std::size_t i = first; i < end; ++i) list.push_back(detailed(call, *hits[i]));

    const bool more = end < hits.size();
    const long current = static_cast<long>(first / static_cast<std::size_t>(limit)) + 1;
    Json meta;
    meta["total"] = hits.size();
    if (end > first) {
        meta["startAfterId"] = hits[end - 1]->id;
        meta["startAfter"] = hits[end - 1]->created_at;
    } else {
        meta["startAfterId"] = nullptr;
        meta["startAfter"] = nullptr;
    }
    meta["currentPage"] = current;
    meta["nextPage"] = more ? Json(current + 1) : Json();
    meta["prevPage"] = current > 1 ? Json(current - 1) : Json();
    if (more) {
        std::string url = "/opportunities/search?location_id=" + store.location.id +
                          "&limit=" + std::to_string(limit) +
                          "&startAfter=" + std::to_string(hits[end - 1]->created_at) +
                          "&startAfterId=" + hits[end - 1]->id;
        for (const char* key : {"pipeline_id", "pipeline_stage_id", "status", "contact_id",
                                "assigned_to", "order"}) {
            if (call.has_query(key)) url += std::string("&") + key + "=" + call.query(key);
        }
        meta["nextPageUrl"] = url;
    } else {
        meta["nextPageUrl"] = nullptr;
    }
    return {200, {{"opportunities", list}, {"meta", meta}, {"aggregations", Json::object()}}};
}

Reply get(Call& call) {
    const Opportunity& o = opportunity_or_400(call.store, call.param("id"));
    return {200, {{"opportunity", call.store.opportunity_json(o)}}};
}

Reply pipelines(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true}});
    check_location(call.store, call.query("locationId"));
    Json out = Json::array();
    for (const Pipeline& p : call.store.pipelines) out.push_back(call.store.pipeline_json(p));
    return {200, {{"pipelines", out}}};
}

Reply lost_reasons(Call& call) {
    validate_query(call, {{"locationId", Kind::kString, true},
                          {"skip", Kind::kNumber},
                          {"limit", Kind::kNumber},
                          {"deleted", Kind::kBool},
                          {"getCount", Kind::kBool}});
    check_location(call.store, call.query("locationId"));
    const long skip = query_int(call, "skip", 0, 0, 1000000);
    const long limit = query_int(call, "limit", 10, 1, 100);
    const std::string needle = lower(call.query("query", call.query("name")));
    std::vector<const LostReason*> hits;
    for (const LostReason& r : call.store.lost_reasons) {
        if (needle.empty() || lower(r.name).find(needle) != std::string::npos) hits.push_back(&r);
    }
    Json out = Json::array();
    for (std::size_t i = static_cast<std::size_t>(skip);
         i < hits.size() && i < static_cast<std::size_t>(skip + limit); ++i) {
        out.push_back({{"id", hits[i]->id},
                       {"name", hits[i]->name},
                       {"locationId", call.store.location.id},
                       {"updatedAt", timeutil::iso_utc(hits[i]->created_at)},
                       {"createdAt", timeutil::iso_utc(hits[i]->created_at)}});
    }
    return {200, {{"lostReasons", out}, {"total", hits.size()}}};
}

std::vector<Field> create_fields() {
    return {{"pipelineId", Kind::kString, true},   {"locationId", Kind::kString, true},
            {"name", Kind::kString, true},         {"pipelineStageId", Kind::kString},
            {"status", Kind::kString, true, kStatusEnum},
            {"contactId", Kind::kString, true},    {"monetaryValue", Kind::kNumber},
            {"assignedTo", Kind::kString},         {"customFields", Kind::kArray}};
}

std::vector<Field> update_fields() {
    return {{"pipelineId", Kind::kString},      {"name", Kind::kString},
            {"pipelineStageId", Kind::kString}, {"status", Kind::kString, false, kStatusEnum},
            {"monetaryValue", Kind::kNumber},   {"assignedTo", Kind::kString},
            {"customFields", Kind::kArray}};
}

/// Applies the fields of a create/update/upsert body; stage and status changes are dated.
void apply(Store& store, Opportunity& o, const Json& body, Ms now) {
    if (body.contains("status")) check_status(str(body, "status"));
    std::string pipeline_id = body.contains("pipelineId") ? str(body, "pipelineId") : o.pipeline_id;
    const Pipeline& p = pipeline_or_400(store, pipeline_id);
    std::string stage_id = o.stage_id;
    if (body.contains("pipelineStageId")) {
        stage_id = str(body, "pipelineStageId");
    } else if (pipeline_id != o.pipeline_id || stage_id.empty()) {
        stage_id = p.stages.front().id;
    }
    if (p.stage(stage_id) == nullptr) {
        throw ApiError::bad_request("pipelineStageId " + stage_id + " is not a stage of pipeline " +
                                    p.id);
    }
    if (body.contains("assignedTo") && !str(body, "assignedTo").empty() &&
        store.user(str(body, "assignedTo")) == nullptr) {
        not_found("User");
    }
    if (stage_id != o.stage_id || pipeline_id != o.pipeline_id) o.last_stage_change_at = now;
    o.pipeline_id = pipeline_id;
    o.stage_id = stage_id;
    if (body.contains("name")) o.name = str(body, "name");
    if (body.contains("status") && str(body, "status") != o.status) {
        o.status = str(body, "status");
        o.last_status_change_at = now;
    }
    if (body.contains("monetaryValue") && body["monetaryValue"].is_number()) {
        o.monetary_value = body["monetaryValue"].get<double>();
    }
    if (body.contains("assignedTo")) o.assigned_to = str(body, "assignedTo");
    if (body.contains("lostReasonId")) o.lost_reason_id = str(body, "lostReasonId");
    if (body.contains("customFields") && body["customFields"].is_array()) {
        for (const Json& item : body["customFields"]) {
            if (!item.is_object()) continue;
            const std::string key = str(item, "id").empty() ? str(item, "key") : str(item, "id");
            const CustomField* field = store.custom_field(key);
            if (field == nullptr) continue;
            const Json value = item.contains("field_value") ? item["field_value"] : Json();
            std::erase_if(o.custom_fields,
                          [&](const CustomFieldValue& v) { return v.id == field->id; });
            if (!value.is_null()) o.custom_fields.push_back({field->id, value});
        }
    }
    o.updated_at = now;
    o.last_action_date = now;
}

void check_duplicate(const Store& store, const std::string& contact_id,
                     const std::string& pipeline_id, const std::string& ignore_id) {
    if (store.location.allow_duplicate_opportunity) return;
    for (const auto& [id, o] : store.opportunities) {
        if (id != ignore_id && o.contact_id == contact_id && o.pipeline_id == pipeline_id) {
            throw ApiError::bad_request("Can not create duplicate opportunity for the contact.");
        }
    }
}

Opportunity& create_opportunity(Store& store, const Json& body, Ms now) {
    const Contact& contact = contact_or_400(store, str(body, "contactId"));
    pipeline_or_400(store, str(body, "pipelineId"));
    check_duplicate(store, contact.id, str(body, "pipelineId"), "");
    Opportunity o;
    o.contact_id = contact.id;
    o.source = "api";
    o.status = "open";
    const Ms at = store.stamp(now);
    apply(store, o, body, at);
    o.id = store.new_id();
    o.created_at = at;
    o.last_stage_change_at = at;
    o.last_status_change_at = at;
    ++store.counters.opportunities_created;
    auto [it, inserted] = store.opportunities.emplace(o.id, std::move(o));
    return it->second;
}

/// OpportunityStageUpdate when `after` moved (stage or pipeline), OpportunityStatusUpdate when
/// its status changed.
void emit_changes(Call& call, const Opportunity& before, const Opportunity& after) {
    if (after.stage_id != before.stage_id || after.pipeline_id != before.pipeline_id) {
        call.emit([&] { return opportunity_event(call.store, after, "OpportunityStageUpdate"); });
    }
    if (after.status != before.status) {
        call.emit([&] { return opportunity_event(call.store, after, "OpportunityStatusUpdate"); });
    }
}

Reply create(Call& call) {
    const Json& body = call.body();
    validate_body(body, create_fields());
    check_location(call.store, str(body, "locationId"));
    const Opportunity& o = create_opportunity(call.store, body, call.now);
    call.emit([&] { return opportunity_event(call.store, o, "OpportunityCreate"); });
    return {201, {{"opportunity", call.store.opportunity_json(o)}}};
}

Reply update(Call& call) {
    Opportunity& o = opportunity_or_400(call.store, call.param("id"));
    const Json& body = call.body();
    validate_body(body, update_fields());
    Opportunity next = o;
    apply(call.store, next, body, call.store.stamp(call.now));
    if (next.pipeline_id != o.pipeline_id) {
        check_duplicate(call.store, o.contact_id, next.pipeline_id, o.id);
    }
    emit_changes(call, o, next);
    o = next;
    ++call.store.counters.opportunities_updated;
    return {200, {{"opportunity", call.store.opportunity_json(o)}}};
}

Reply update_status(Call& call) {
    Opportunity& o = opportunity_or_400(call.store, call.param("id"));
    const Json& body = call.body();
    validate_body(body, {{"status", Kind::kString, true, kStatusEnum}, {"lostReasonId", Kind::kString}});
    Opportunity next = o;
    apply(call.store, next, body, call.store.stamp(call.now));
    emit_changes(call, o, next);
    o = next;
    ++call.store.counters.opportunities_updated;
    return {200, {{"succeded", true}}};
}

Reply remove(Call& call) {
    const Opportunity& o = opportunity_or_400(call.store, call.param("id"));
    call.emit([&] { return opportunity_event(call.store, o, "OpportunityDelete"); });
    const std::string id = o.id;
    call.store.opportunities.erase(id);
    ++call.store.counters.opportunities_deleted;
    return {200, {{"succeded", true}}};
}

/// The spec's "required" followers fields are a defect (../shared/reference/ghl-api.md N7.4):
/// they are accepted, not required. contactId is not in the spec but is what a create needs.
Reply upsert(Call& call) {
    const Json& body = call.body();
    validate_body(body, {{"id", Kind::kString},
                         {"pipelineId", Kind::kString, true},
                         {"locationId", Kind::kString, true},
                         {"contactId", Kind::kString},
                         {"followers", Kind::kStringArray},
                         {"isRemoveAllFollowers", Kind::kBool},
                         {"followersActionType", Kind::kString, false, {"add", "remove"}},
                         {"name", Kind::kString},
                         {"status", Kind::kString, false, kStatusEnum},
                         {"pipelineStageId", Kind::kString},
                         {"monetaryValue", Kind::kNumber},
                         {"assignedTo", Kind::kString},
                         {"lostReasonId", Kind::kString}});
    Store& store = call.store;
    check_location(store, str(body, "locationId"));
    Opportunity* existing = nullptr;
    if (body.contains("id")) {
        existing = &opportunity_or_400(store, str(body, "id"));
    } else if (body.contains("contactId")) {
        for (auto& [id, o] : store.opportunities) {
            if (o.contact_id == str(body, "contactId") && o.pipeline_id == str(body, "pipelineId")) {
                existing = &o;
                break;
            }
        }
    }
    if (existing != nullptr) {
        Opportunity next = *existing;
        apply(store, next, body, store.stamp(call.now));
        emit_changes(call, *existing, next);
        *existing = next;
        ++store.counters.opportunities_updated;
        return {200, {{"opportunity", store.opportunity_json(*existing)}, {"new", false}}};
    }
    std::vector<std::string> missing;
    if (!body.contains("contactId")) missing.push_back("contactId should not be empty");
    if (!body.contains("name")) missing.push_back("name should not be empty");
    if (!missing.empty()) throw ApiError::unprocessable(std::move(missing));
    const Opportunity& o = create_opportunity(store, body, call.now);
    call.emit([&] { return opportunity_event(store, o, "OpportunityCreate"); });
    return {200, {{"opportunity", store.opportunity_json(o)}, {"new", true}}};
}

}  // namespace

void register_opportunity_routes(Router& router) {
    router.add("GET", "/opportunities/search", V, search);
    router.add("GET", "/opportunities/pipelines", V, pipelines);
    router.add("GET", "/opportunities/lost-reason", V, lost_reasons);
    router.add("POST", "/opportunities", V, create);
    router.add("POST", "/opportunities/upsert", V, upsert);
    router.add("GET", "/opportunities/{id}", V, get);
    router.add("PUT", "/opportunities/{id}", V, update);
    router.add("PUT", "/opportunities/{id}/status", V, update_status);
    router.add("DELETE", "/opportunities/{id}", V, remove);
}

}  // namespace ghlsim
