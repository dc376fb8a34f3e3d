// A private temporary directory per test, removed afterwards, and whole-file reads for greps.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>

namespace keys_test {

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "ghl-keys-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// The bytes of `path` (empty when it does not exist).
inline std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The database file plus its WAL and shared-memory files: everything SQLite wrote.
inline std::string database_bytes(const std::string& path) {
    return file_bytes(path) + file_bytes(path + "-wal") + file_bytes(path + "-shm");
}

/// What a command printed on stdout (its shell redirections decide what else) and its exit status
/// (-1 when it did not exit normally).
struct Exec {
    int status = -1;
    std::string out;
};

/// Runs `command` through the shell (the tests run the real ghl-mcp binary this way).
inline Exec run_command(const std::string& command) {
    Exec r;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace keys_test
