#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

#include "onnx/import.h"

namespace pt2tflite::onnx_import {
namespace {

namespace fs = std::filesystem;

// A model y = Relu(x) with x: float[N, 3] where N is symbolic, plus a constant initializer.
onnx::ModelProto relu_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->set_name("relu");
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

TEST(Import, RejectsGarbage) {
  auto r = import_model("this is not a protobuf at all \x01\x02", {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidModel);
  EXPECT_NE(r.status().message().find("not an ONNX model"), std::string::npos);
}

TEST(Import, SymbolicDimNeedsAShape) {
  auto r = import_model(relu_model().SerializeAsString(), {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'N'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("--batch"), std::string::npos);
}

TEST(Import, BatchFixesLeadingDim) {
  ImportOptions o;
  o.batch = 4;
  auto r = import_model(relu_model().SerializeAsString(), o);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().inputs[0]->shape, (ir::Shape{4, 3}));
  ASSERT_EQ(r.value().nodes().size(), 1u);
  EXPECT_EQ(r.value().nodes()[0]->op, "onnx.Relu");
  EXPECT_EQ(r.value().nodes()[0]->opset, 17);
}

TEST(Import, InputShapeMustNameAnInput) {
  ImportOptions o;
  o.input_shapes = {{"nope", {1, 3}}};
  auto r = import_model(relu_model().SerializeAsString(), o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'nope'"), std::string::npos);
}

onnx::ModelProto with_external_initializer(const std::string& location) {
  onnx::ModelProto m = relu_model();
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  return m;
}

TEST(Import, ExternalDataInsideFolder) {
  fs::path dir = fs::temp_directory_path() / "pt2tflite_import_test";
  fs::create_directories(dir);
  const float data[2] = {1.5f, -2.0f};
  std::ofstream(dir / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(data), sizeof data);
  ImportOptions o;
  o.batch = 1;
  o.base_dir = dir.string();
  auto r = import_model(with_external_initializer("w.bin").SerializeAsString(), o);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  bool found = false;
  for (const auto& v : r.value().values())
    if (v->name == "w") {
      found = true;
      EXPECT_EQ(v->data->to_floats(), (std::vector<float>{1.5f, -2.0f}));
    }
  EXPECT_TRUE(found);
}

TEST(Import, ExternalDataEscapingFolderIsRefused) {
  fs::path dir = fs::temp_directory_path() / "pt2tflite_import_test" / "inner";
  fs::create_directories(dir);
  ImportOptions o;
  o.batch = 1;
  o.base_dir = dir.string();
  auto r = import_model(with_external_initializer("../w.bin").SerializeAsString(), o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("escapes"), std::string::npos) << r.status().message();
  auto abs = import_model(with_external_initializer("/etc/passwd").SerializeAsString(), o);
  ASSERT_FALSE(abs.is_ok());
  EXPECT_NE(abs.status().message().find("absolute"), std::string::npos);
}

// If(c) whose then-branch holds another If reading the top graph's 'w' and the branch's own
// 't': subgraphs are closed, so 'w' travels in as a captured input through both levels.
TEST(Import, SubgraphsCaptureOuterValuesThroughEveryLevel) {
  onnx::ModelProto m = relu_model();
  auto* g = m.mutable_graph();
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(2);
  auto* c = g->add_input();
  c->set_name("c");
  c->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
  c->mutable_type()->mutable_tensor_type()->mutable_shape();
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_float_data(2.0f);
  auto leaf = [](const std::string& name, const std::string& op, std::vector<std::string> ins, const std::string& out) {
    onnx::GraphProto b;
    b.set_name(name);
    auto* n = b.add_node();
    n->set_op_type(op);
    for (const auto& i : ins) n->add_input(i);
    n->add_output(out);
    b.add_output()->set_name(out);
    return b;
  };
  onnx::GraphProto then_b;
  then_b.set_name("then");
  auto* t = then_b.add_node();
  t->set_op_type("Neg");
  t->add_input("y");
  t->add_output("t");
  auto* inner = then_b.add_node();
  inner->set_op_type("If");
  inner->add_input("c");
  inner->add_output("r");
  auto* a = inner->add_attribute();
  a->set_name("then_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = leaf("inner_then", "Mul", {"t", "w"}, "m");
  a = inner->add_attribute();
  a->set_name("else_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = leaf("inner_else", "Neg", {"t"}, "e");
  then_b.add_output()->set_name("r");
  auto* outer = g->add_node();
  outer->set_op_type("If");
  outer->set_name("if");
  outer->add_input("c");
  outer->add_output("z");
  a = outer->add_attribute();
  a->set_name("then_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = then_b;
  a = outer->add_attribute();
  a->set_name("else_branch");
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = leaf("else", "Identity", {"x"}, "e2");
  g->mutable_output(0)->set_name("z");

  auto r = import_model(m.SerializeAsString(), {});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const ir::Node* n = r.value().find_node("if");
  ASSERT_NE(n, nullptr);
  ASSERT_EQ(n->subgraphs.size(), 2u);
  EXPECT_FALSE(n->has("then_branch_unsupported_attribute"));
  // Captured by the branches: y, c, w (then) and x (else), one list for both.
  std::vector<std::string> names;
  for (size_t i = n->inputs.size() - n->captured; i < n->inputs.size(); ++i) names.push_back(n->inputs[i]->name);
  EXPECT_EQ(names, (std::vector<std::string>{"y", "c", "w", "x"}));
  for (const auto& [key, sub] : n->subgraphs) {
    ASSERT_EQ(sub->inputs.size(), 4u) << key;
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(sub->inputs[i]->name, names[i]) << key;
  }
  // The inner If reads 't' (its branch's own value) and 'w' (two levels up) as captures.
  const ir::Graph& then_g = *n->subgraphs.at("then_branch");
  const ir::Node* in_if = nullptr;
  for (const auto& node : then_g.nodes())
    if (node->op == "onnx.If") in_if = node.get();
  ASSERT_NE(in_if, nullptr);
  ASSERT_EQ(in_if->captured, 2);
  EXPECT_EQ(in_if->inputs[1]->name, "t");
  EXPECT_EQ(in_if->inputs[2], then_g.inputs[2]);  // 'w', an input of the then-branch
}

// A model of one ai.onnx.ml node y = <op>(x), x: float[2, 3], importing only `ml_opset` of
// ai.onnx.ml (and `default_opset` of the default domain when > 0).
onnx::ModelProto ml_model(const std::string& op, int ml_opset, int default_opset = 0) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("ai.onnx.ml");
  o->set_version(ml_opset);
  if (default_opset > 0) m.add_opset_import()->set_version(default_opset);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_domain("ai.onnx.ml");
  n->set_name("ml");
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

TEST(Import, MlDomainNodesCarryTheirDomainAndOpset) {
  auto r = import_model(ml_model("LabelEncoder", 4).SerializeAsString(), {});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r.value().nodes().size(), 1u);
  EXPECT_EQ(r.value().nodes()[0]->op, "ai.onnx.ml.LabelEncoder");
  EXPECT_EQ(r.value().nodes()[0]->opset, 4);
}

TEST(Import, MlTensorAttributesAreLists) {
  onnx::ModelProto m = ml_model("LabelEncoder", 4, 17);
  auto* node = m.mutable_graph()->mutable_node(0);
  auto* keys = node->add_attribute();
  keys->set_name("keys_tensor");
  keys->set_type(onnx::AttributeProto::TENSOR);
  keys->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  keys->mutable_t()->add_dims(3);
  for (int64_t v : {5, -1, 7}) keys->mutable_t()->add_int64_data(v);
  auto* names = node->add_attribute();
  names->set_name("values_tensor");
  names->set_type(onnx::AttributeProto::TENSOR);
  names->mutable_t()->set_data_type(onnx::TensorProto::STRING);
  names->mutable_t()->add_dims(2);
  names->mutable_t()->add_string_data("a");
  names->mutable_t()->add_string_data("b");
  auto r = import_model(m.SerializeAsString(), {});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const ir::Node& n = *r.value().nodes()[0];
  EXPECT_EQ(n.get_ints("keys_tensor"), (std::vector<int64_t>{5, -1, 7}));
  EXPECT_EQ(n.get_int("keys_tensor_dtype", 0), static_cast<int64_t>(ir::DType::kInt64));
  EXPECT_EQ(std::get<std::vector<std::string>>(n.attrs.at("values_tensor")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(n.get_int("values_tensor_dtype", 0), kStringTensorAttr);
}

TEST(Import, DefaultDomainNodeNeedsItsOpsetImported) {
  onnx::ModelProto m = ml_model("Binarizer", 1);
  auto* relu = m.mutable_graph()->add_node();
  relu->set_op_type("Relu");
  relu->set_name("relu");
  relu->add_input("y");
  relu->add_output("z");
  m.mutable_graph()->mutable_output(0)->set_name("z");
  auto r = import_model(m.SerializeAsString(), {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidModel);
  EXPECT_NE(r.status().message().find("'relu'"), std::string::npos) << r.status().message();
}

TEST(Import, RefusesAnUnknownMlOpset) {
  auto r = import_model(ml_model("Binarizer", kMaxMlOpset + 1).SerializeAsString(), {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(r.status().message().find("ai.onnx.ml"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace pt2tflite::onnx_import
