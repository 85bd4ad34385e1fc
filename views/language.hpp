// The views take the library's one Language (engine/language.hpp) in their options.
#pragma once

#include <gradflow/engine/language.hpp>
