// A small deterministic random generator (splitmix64) and GHL-looking id makers.
//
// std::uniform_int_distribution and friends are implementation-defined, so the seed data would
// change with the standard library; this generator gives the same sequence everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ghlsim {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    /// Uniform in [lo, hi] (inclusive).
    std::int64_t range(std::int64_t lo, std::int64_t hi) {
        if (hi <= lo) return lo;
        const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
        return lo + static_cast<std::int64_t>(next() % span);
    }

    /// Uniform in [0, 1).
    double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

    bool chance(double p) { return unit() < p; }

    template <typename T>
    const T& pick(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(range(0, static_cast<std::int64_t>(items.size()) - 1))];
    }

    /// A 20-character alphanumeric id, the shape of most GHL ids ("ve9EPM428h8vShlRW1KT").
    std::string id20() {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        std::string out(20, '0');
        for (char& c : out) c = kAlphabet[next() % 62];
        return out;
    }

    /// A lower-case UUID v4 (pipeline stages, workflows).
    std::string uuid() {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        for (int i = 0; i < 32; ++i) {
            if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
            std::uint64_t nibble = next() & 0xF;
            if (i == 12) nibble = 4;
            if (i == 16) nibble = 8 | (nibble & 0x3);
            out += kHex[nibble];
        }
        return out;
    }

    /// A 24-hex-digit object id (payments records are Mongo ids: "653f5e0cde5a1314e62a837c").
    std::string object_id() {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out(24, '0');
        for (char& c : out) c = kHex[next() & 0xF];
        return out;
    }

private:
    std::uint64_t state_;
};

}  // namespace ghlsim
