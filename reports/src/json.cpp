// JSON: the tool's own result as given, or a generic rendering of the document.
#include "chat/reports/render.hpp"

#include "summary.hpp"

#include <cmath> // isfinite

namespace chat::reports {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity; nlohmann would print them as null anyway, say so explicitly.
json number(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json tables_json(const std::vector<table>& tables) {
    json out = json::array();
    for (const auto& t : tables)
        out.push_back({{"title", t.title}, {"header", t.header}, {"rows", t.rows}});
    return out;
}

json charts_json(const std::vector<chart>& cs) {
    json charts = json::array();
    for (const auto& c : cs) {
        json lines = json::array();
        for (const auto& s : c.lines) {
            json points = json::array();
            for (const auto& [x, y] : s.points)
                points.push_back(json::array({number(x), number(y)}));
            lines.push_back({{"name", s.name}, {"points", std::move(points)}});
        }
        charts.push_back({{"title", c.title},
                          {"x_label", c.x_label},
                          {"y_label", c.y_label},
                          {"log_x", c.log_x},
                          {"log_y", c.log_y},
                          {"series", std::move(lines)}});
        if (!c.x_ticks.empty()) {
            json ticks = json::array();
            for (const auto& [x, label] : c.x_ticks)
                ticks.push_back(json::array({number(x), label}));
            charts.back()["x_ticks"] = std::move(ticks);
        }
        if (!c.x_markers.empty()) {
            json markers = json::array();
            for (const auto& m : c.x_markers)
                markers.push_back({{"x", number(m.x)}, {"label", m.label}});
            charts.back()["x_markers"] = std::move(markers);
        }
    }
    return charts;
}

json generic(const document& doc) {
    json j = json::object();
    j["schema"] = "chat-report/1";
    j["tool"] = doc.tool;
    j["title"] = doc.title;
    j["verdict"] = doc.verdict;
    // Pairs, not an object: keeps the display order and any repeated key.
    json meta = json::array();
    for (const auto& [key, value] : doc.meta)
        meta.push_back(json::array({key, value}));
    j["meta"] = std::move(meta);
    const auto counts = detail::count(doc.cases);
    json summary = json::object();
    for (const auto o : detail::all_outcomes)
        summary[to_string(o)] = counts[o];
    j["summary"] = std::move(summary);
    j["tables"] = tables_json(doc.tables);
    j["charts"] = charts_json(doc.charts);
    if (!doc.sections.empty()) {
        json sections = json::array();
        for (const auto& s : doc.sections)
            sections.push_back({{"id", s.id},
                                {"title", s.title},
                                {"notes", s.notes},
                                {"tables", tables_json(s.tables)},
                                {"charts", charts_json(s.charts)}});
        j["sections"] = std::move(sections);
    }
    j["cases_title"] = doc.cases_title;
    j["group_label"] = doc.group_label;
    json cases = json::array();
    for (const auto& tc : doc.cases) {
        json transcript = json::array();
        for (const auto& line : tc.transcript)
            transcript.push_back(
                {{"t_ms", number(line.t_ms)}, {"dir", line.direction}, {"text", line.text}});
        cases.push_back({{"id", tc.id},
                         {"group", tc.group},
                         {"title", tc.title},
                         {"level", tc.level},
                         {"requirement", tc.requirement},
                         {"outcome", to_string(tc.result)},
                         {"expected", tc.expected},
                         {"actual", tc.actual},
                         {"message", tc.message},
                         {"duration_ms", number(tc.duration_ms)},
                         {"transcript", std::move(transcript)}});
    }
    j["cases"] = std::move(cases);
    return j;
}

} // namespace

std::string to_json(const document& doc) {
    // Replace, not throw: a hostile server's bytes must not cost the whole report.
    if (doc.data.is_null())
        return generic(doc).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    return doc.data.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace chat::reports
