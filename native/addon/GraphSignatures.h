// GraphSignatures: graph signatures between JS and TensorMeta — the caller's graphs
// (load(…, graphs)) parsed on the main thread with typed errors, and a graph's metadata as
// JS (a loaded context's graphs, readBinaryInfo).
#pragma once

#include <napi.h>

#include <vector>

#include "TensorMeta.h"

namespace qnn_node {

// [{name, inputs: [tensor…], outputs: [tensor…]}] (undefined/null → none).
std::vector<GraphMeta> ParseGraphs(Napi::Env env, const Napi::Value& v);
// A graph's name and tensor metadata as JS.
Napi::Object GraphToJs(Napi::Env env, const GraphMeta& m);

}  // namespace qnn_node
