// gen-tool-docs: the README tool table, generated from the tool definitions so it cannot drift.
//   gen-tool-docs                 print the table (markdown)
//   gen-tool-docs --update FILE   replace the text between the markers in FILE
//   gen-tool-docs --check FILE    exit 1 (with a hint) when FILE's table is stale
#include "tools/catalog.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace {

constexpr const char* kBegin = "<!-- BEGIN GENERATED TOOL TABLE (gen-tool-docs; edit schemas/tools/*.json) -->";
constexpr const char* kEnd = "<!-- END GENERATED TOOL TABLE -->";

std::string escape_cell(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

std::string render() {
    auto defs = tools::definitions();
    const auto& defaults = tools::default_toolsets();
    std::ostringstream md;
    md << kBegin << "\n";
    std::size_t count = 0;
    for (const auto& set : tools::all_toolsets()) {
        std::vector<const tools::Definition*> in_set;
        for (const auto& d : defs)
            if (d.toolset == set) in_set.push_back(&d);
        if (in_set.empty()) continue;
        const bool on = set == "server" ||
                        std::find(defaults.begin(), defaults.end(), set) != defaults.end();
        md << "\n**" << set << "**" << (on ? "" : " (not in the default toolsets: `--toolsets all`)")
           << "\n\n| Tool | | What it does |\n|---|---|---|\n";
        for (const auto* d : in_set) {
            const auto& a = d->wire["annotations"];
            std::string kind = a.value("readOnlyHint", false) ? "read" : "write";
            if (a.value("destructiveHint", false)) kind = "destructive";
            md << "| `" << d->wire["name"].get<std::string>() << "` | " << kind << " | "
               << escape_cell(d->wire["description"].get<std::string>()) << " |\n";
            ++count;
        }
    }
    for (const auto& [set, members] : tools::composite_toolsets()) {
        md << "\n**" << set << "** (a toolset of tools listed above: `--toolsets " << set << "`):";
        for (std::size_t i = 0; i < members.size(); ++i) md << (i ? ", `" : " `") << members[i] << "`";
        md << ".\n";
    }
    md << "\n" << count << " tools. Generated from `schemas/tools/*.json` by `make docs`.\n" << kEnd;
    return md.str();
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string table = render();
        if (argc == 1) {
            std::cout << table << "\n";
            return 0;
        }
        if (argc != 3 || (std::string(argv[1]) != "--update" && std::string(argv[1]) != "--check")) {
            std::cerr << "usage: gen-tool-docs [--update FILE | --check FILE]\n";
            return 2;
        }
        const std::string mode = argv[1], path = argv[2];
        std::string text;
        if (!read_file(path, text)) {
            std::cerr << "cannot read " << path << "\n";
            return 2;
        }
        const auto b = text.find(kBegin);
        const auto e = text.find(kEnd);
        if (b == std::string::npos || e == std::string::npos || e < b) {
            std::cerr << path << " has no generated tool table markers:\n" << kBegin << "\n" << kEnd << "\n";
            return 2;
        }
        const std::string updated = text.substr(0, b) + table + text.substr(e + std::string(kEnd).size());
        if (mode == "--check") {
            if (updated == text) return 0;
            std::cerr << path << ": the tool table is stale. Run `make docs` and commit README.md.\n";
            return 1;
        }
        if (updated != text) std::ofstream(path) << updated;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "gen-tool-docs: " << e.what() << "\n";
        return 1;
    }
}
