// Golden stdio transcripts: each tests/golden/transcripts/*.txt drives a server over stdio.
//
// Lines:
//   # comment                 ignored
//   @server ghl-mcp|conformance   which binary (first directive; default ghl-mcp)
//   > LINE                    sent verbatim (may be malformed JSON); "$name" is replaced by a
//                             value captured earlier
//   < JSON                    expected; consecutive "<" lines form a group that must arrive
//                             next, in any order, and nothing else may arrive in between
//   @oversized N ID           sends a ping with id ID padded to N bytes (line-limit tests)
//   @sleep MS                 waits
//   @quiet MS                 asserts that nothing arrives for MS milliseconds
//   @close                    closes stdin; the server must exit 0 without further output
// In expected JSON, the string "<any>" matches any value and "$name" captures the value at its
// first use and must be equal at later uses. Objects must have exactly the expected keys.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

class Child {
public:
    explicit Child(const std::vector<std::string>& argv) {
        int in[2], out[2];
        if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            int devnull = open("/dev/null", O_WRONLY);
            if (!getenv("GOLDEN_SHOW_STDERR")) dup2(devnull, 2);
            close(in[1]);
            close(out[0]);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        to_ = in[1];
        from_ = out[0];
        signal(SIGPIPE, SIG_IGN);
    }
    ~Child() {
        if (to_ >= 0) close(to_);
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(from_);
    }
    void send(const std::string& line) {
        std::string data = line + "\n";
        size_t off = 0;
        while (off < data.size()) {
            ssize_t n = write(to_, data.data() + off, data.size() - off);
            if (n <= 0) throw std::runtime_error("write to server failed");
            off += static_cast<size_t>(n);
        }
    }
    void close_stdin() {
        close(to_);
        to_ = -1;
    }
    /// Next output line, or nullopt after `timeout` / on EOF.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0 || eof_) return std::nullopt;
            pollfd p{from_, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char chunk[65536];
            ssize_t n = read(from_, chunk, sizeof chunk);
            if (n <= 0) {
                eof_ = true;
                continue;
            }
            buf_.append(chunk, static_cast<size_t>(n));
        }
    }
    /// Waits for exit; returns the exit status (or -1 on timeout, -2 on a signal).
    int wait_exit(std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

private:
    pid_t pid_ = -1;
    int to_ = -1, from_ = -1;
    bool eof_ = false, reaped_ = false;
    std::string buf_;
};

using Captures = std::map<std::string, json>;

bool match(const json& want, const json& got, Captures& caps, std::string& why, const std::string& path) {
    if (want.is_string()) {
        const auto& s = want.get_ref<const std::string&>();
        if (s == "<any>") return true;
        if (s.size() > 1 && s[0] == '$') {
            auto it = caps.find(s);
            if (it == caps.end()) {
                caps[s] = got;
                return true;
            }
            if (it->second == got) return true;
            why = path + ": captured " + s + "=" + it->second.dump() + ", got " + got.dump();
            return false;
        }
    }
    if (want.is_object()) {
        if (!got.is_object()) {
            why = path + ": expected an object, got " + got.dump();
            return false;
        }
        for (const auto& [k, v] : want.items()) {
            if (!got.contains(k)) {
                why = path + ": missing key \"" + k + "\"";
                return false;
            }
            if (!match(v, got[k], caps, why, path + "/" + k)) return false;
        }
        for (const auto& [k, v] : got.items()) {
            if (!want.contains(k)) {
                why = path + ": unexpected key \"" + k + "\" = " + v.dump();
                return false;
            }
        }
        return true;
    }
    if (want.is_array()) {
        if (!got.is_array() || got.size() != want.size()) {
            why = path + ": expected " + want.dump() + ", got " + got.dump();
            return false;
        }
        for (size_t i = 0; i < want.size(); ++i)
            if (!match(want[i], got[i], caps, why, path + "/" + std::to_string(i))) return false;
        return true;
    }
    if (want != got) {
        why = path + ": expected " + want.dump() + ", got " + got.dump();
        return false;
    }
    return true;
}

std::string substitute(std::string line, const Captures& caps) {
    for (const auto& [name, value] : caps) {
        std::string quoted = "\"" + name + "\"";
        for (auto pos = line.find(quoted); pos != std::string::npos; pos = line.find(quoted, pos))
            line.replace(pos, quoted.size(), value.dump());
    }
    return line;
}

std::vector<std::string> transcripts() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(GHL_TRANSCRIPTS_DIR))
        if (e.path().extension() == ".txt") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Transcript) {
    std::ifstream in(std::string(GHL_TRANSCRIPTS_DIR) + "/" + GetParam() + ".txt");
    ASSERT_TRUE(in) << "cannot open transcript";
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);

    std::vector<std::string> argv = {GHL_MCP_BIN, "--sandbox", "serve", "--stdio", "--log-level", "debug"};
    for (const auto& l : lines) {
        if (l.rfind("@server ", 0) == 0) {
            std::string which = l.substr(8);
            if (which == "conformance")
                argv = {GHL_CONFORMANCE_BIN, "--stdio", "--log-level", "debug"};
            else
                ASSERT_EQ(which, "ghl-mcp") << "unknown @server";
            break;
        }
    }
    Child child(argv);
    Captures caps;
    const auto kWait = std::chrono::milliseconds(10000);

    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        SCOPED_TRACE(GetParam() + ".txt:" + std::to_string(i + 1));
        if (l.empty() || l[0] == '#' || l.rfind("@server", 0) == 0) continue;
        if (l.rfind("> ", 0) == 0) {
            child.send(substitute(l.substr(2), caps));
        } else if (l.rfind("< ", 0) == 0) {
            std::vector<json> group;
            size_t j = i;
            for (; j < lines.size() && lines[j].rfind("< ", 0) == 0; ++j) group.push_back(json::parse(lines[j].substr(2)));
            i = j - 1;
            std::vector<bool> used(group.size(), false);
            for (size_t k = 0; k < group.size(); ++k) {
                auto got_line = child.read_line(kWait);
                ASSERT_TRUE(got_line) << "timed out waiting for " << (group.size() - k) << " more line(s)";
                json got;
                try {
                    got = json::parse(*got_line);
                } catch (const std::exception&) {
                    FAIL() << "server wrote a non-JSON line on stdout: " << got_line->substr(0, 200);
                }
                ASSERT_EQ(got_line->find('\n'), std::string::npos);
                std::string reasons;
                bool matched = false;
                for (size_t g = 0; g < group.size() && !matched; ++g) {
                    if (used[g]) continue;
                    Captures trial = caps;
                    std::string why;
                    if (match(group[g], got, trial, why, "")) {
                        used[g] = matched = true;
                        caps = std::move(trial);
                    } else {
                        reasons += "\n  vs " + group[g].dump() + "\n     " + why;
                    }
                }
                ASSERT_TRUE(matched) << "unexpected line: " << got.dump() << reasons;
            }
        } else if (l.rfind("@oversized ", 0) == 0) {
            std::istringstream ss(l.substr(11));
            size_t n = 0;
            std::string id;
            ss >> n >> id;
            std::string head = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\",\"params\":{\"pad\":\"";
            std::string tail = "\"}}";
            child.send(head + std::string(n - head.size() - tail.size(), 'x') + tail);
        } else if (l.rfind("@sleep ", 0) == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(l.substr(7))));
        } else if (l.rfind("@quiet ", 0) == 0) {
            auto got = child.read_line(std::chrono::milliseconds(std::stoi(l.substr(7))));
            ASSERT_FALSE(got) << "expected silence, got: " << *got;
        } else if (l == "@close") {
            child.close_stdin();
            auto got = child.read_line(kWait);
            ASSERT_FALSE(got) << "unexpected output after EOF: " << *got;
            ASSERT_EQ(child.wait_exit(kWait), 0) << "server must exit 0 promptly on stdin EOF";
        } else {
            FAIL() << "bad transcript line: " << l;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Stdio, Golden, ::testing::ValuesIn(transcripts()),
                         [](const auto& param_info) {
                             std::string n = param_info.param;
                             for (auto& c : n)
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

}  // namespace
