#pragma once

// cpp-httplib from Debian (libcpp-httplib-dev): a compiled library, linked through pkg-config
// (PkgConfig::HTTPLIB), which also sets the CPPHTTPLIB_* feature macros it was built with.
#include <httplib.h>
