// Load-time checks of one node of a "QNNREF01" binary, used by the parser (model_parse.cc).
#pragma once

#include <string>

#include "model.h"

namespace qnnref {

// Checks a node's arity, params, dtypes and shapes and resolves its attributes (axis,
// perm, ...). False with `*error` naming the node (`where`) and the problem.
bool validateNode(const Model& m, Node& n, const std::string& where, std::string* error);

// The params the reference knows for a node's op (QNN's names). Ops composed through the
// QNN API are checked with it before validateNode (a real op package refuses a param it does
// not define); binaries keep loading with extra params, as before. False with `*error`.
bool checkParamNames(const Node& n, const std::string& where, std::string* error);

}  // namespace qnnref
