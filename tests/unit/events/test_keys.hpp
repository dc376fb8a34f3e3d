// Signing keys for the webhook tests: one Ed25519 and one RSA-2048 pair per test binary (RSA key
// generation takes a noticeable fraction of a second), made by the simulator's helpers.
#pragma once

#include "ghlsim/simulator.hpp"

#include <string>

namespace events_test {

struct TestKeys {
    std::string ed_private, ed_public, rsa_private, rsa_public;
};

inline const TestKeys& test_keys() {
    static const TestKeys k = [] {
        TestKeys out;
        out.ed_private = ghlsim::generate_ed25519_private_pem();
        out.ed_public = ghlsim::public_pem_of(out.ed_private);
        out.rsa_private = ghlsim::generate_rsa_private_pem(2048);
        out.rsa_public = ghlsim::public_pem_of(out.rsa_private);
        return out;
    }();
    return k;
}

}  // namespace events_test
