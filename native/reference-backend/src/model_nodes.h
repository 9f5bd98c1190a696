// Load-time checks of one node of a "QNNREF01" binary, used by the parser (model_parse.cc).
#pragma once

#include <string>

#include "model.h"

namespace qnnref {

// Checks a node's arity, params, dtypes and shapes and resolves its attributes (axis,
// perm, ...). False with `*error` naming the node (`where`) and the problem.
bool validateNode(const Model& m, Node& n, const std::string& where, std::string* error);

}  // namespace qnnref
