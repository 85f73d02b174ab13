// The models (see model.h): the encoder families, heads and the autoencoder's decoder,
// saving/loading/freezing the encoder, parameter counts and the per-layer summary.
#include "train/models/model.h"

#include "train/models/blocks.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

namespace powertrain::train {

namespace nn = torch::nn;

namespace {

// Tag written into encoder files; bump it when the layout of the file changes.
constexpr const char* kEncoderFormat = "powertrain-encoder/1";
constexpr const char* kNoHead =
    "this model has no classification head (an autoencoder: use features() or reconstruct())";
// Width of the decoder's hidden layer.
constexpr int64_t kDecoderHidden = 256;

std::string shape_str(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? sep : "") + items[i];
  return s;
}

// First line of an exception message (LibTorch's messages can carry long backtraces).
std::string first_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string what = c10_error ? c10_error->what_without_backtrace() : e.what();
  return what.substr(0, what.find('\n'));
}

// "torch::nn::LinearImpl" -> "Linear", "powertrain::train::BasicBlockImpl" -> "BasicBlock".
std::string short_type(const nn::Module& m) {
  std::string name = m.name();
  const auto colon = name.rfind("::");
  if (colon != std::string::npos) name = name.substr(colon + 2);
  const std::string impl = "Impl";
  if (name.size() > impl.size() && name.compare(name.size() - impl.size(), impl.size(), impl) == 0) {
    name.resize(name.size() - impl.size());
  }
  return name;
}

// The type column of the summary: a container of identical blocks reads
// "ResNetStage (3 x BasicBlock)".
std::string describe(const nn::Module& m) {
  const auto children = m.children();
  if (children.empty()) return short_type(m);
  const std::string first = short_type(*children.front());
  for (const auto& c : children) {
    if (short_type(*c) != first) return short_type(m);
  }
  return short_type(m) + " (" + std::to_string(children.size()) + " x " + first + ")";
}

// --- The encoder families. Each appends its layers to `enc` and returns its feature size.

int64_t build_mlp(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  enc->push_back("flatten", nn::Flatten());
  int64_t in = product(shape);
  for (size_t i = 0; i < spec.hidden.size(); ++i) {
    const int64_t width = spec.hidden[i];
    if (width <= 0) {
      throw ModelError("mlp hidden widths must be positive; got " + shape_str(spec.hidden));
    }
    enc->push_back("fc" + std::to_string(i + 1), nn::Linear(in, width));
    enc->push_back("relu" + std::to_string(i + 1), nn::ReLU());
    in = width;
  }
  return in;
}

void require_images(const ModelSpec& spec, const std::vector<int64_t>& shape) {
  if (shape.size() != 3) {
    throw ModelError("model type " + spec.type + " needs image input [C,H,W]; got input shape " + shape_str(shape) +
                     " (use mlp for flat or tabular data, conv1d for [C,T] windows)");
  }
}

// Conv blocks (3x3, padding 1; `channels` per block; BatchNorm or a bias; ReLU; 2x2 max-pool),
// then either a dense ReLU layer of width `dense` on the flattened maps or global average
// pooling. The families cnn (configurable) and tutorial_cnn are this.
int64_t add_conv_stack(const std::string& type, const std::vector<int64_t>& shape, const std::vector<int64_t>& channels,
                       bool batch_norm, int64_t dense, nn::Sequential& enc) {
  const int64_t pools = static_cast<int64_t>(channels.size());
  if ((shape[1] >> pools) < 1 || (shape[2] >> pools) < 1) {
    throw ModelError("model type " + type + " max-pools " + std::to_string(pools) + " times: it needs images of at least " +
                     std::to_string(1 << pools) + "x" + std::to_string(1 << pools) + "; got input shape " + shape_str(shape) +
                     " (use fewer model.channels)");
  }
  int64_t in = shape[0], h = shape[1], w = shape[2];
  for (size_t i = 0; i < channels.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    if (batch_norm) {
      enc->push_back("block" + n, ConvBlock2d(in, channels[i], /*pool=*/true));
    } else {
      enc->push_back("conv" + n, nn::Conv2d(nn::Conv2dOptions(in, channels[i], 3).padding(1)));
      enc->push_back("relu" + n, nn::ReLU());
      enc->push_back("pool" + n, nn::MaxPool2d(2));
    }
    in = channels[i];
    h /= 2;
    w /= 2;
  }
  if (dense <= 0) {
    enc->push_back("pool", GlobalAvgPool());
    return in;
  }
  enc->push_back("flatten", nn::Flatten());
  enc->push_back("fc", nn::Linear(in * h * w, dense));
  enc->push_back("fc_relu", nn::ReLU());
  return dense;
}

int64_t build_cnn(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  require_images(spec, shape);
  std::vector<int64_t> channels = spec.channels.empty() ? std::vector<int64_t>{spec.width, 2 * spec.width} : spec.channels;
  for (int64_t c : channels) {
    if (c <= 0) throw ModelError("cnn channels must be positive; got " + shape_str(channels));
  }
  return add_conv_stack("cnn", shape, channels, spec.batch_norm, spec.dense, enc);
}

// The CNN of the PyTorch and Keras tutorials: conv 3x3 32 - ReLU - max-pool, conv 3x3 64 -
// ReLU - max-pool, dense 128 - ReLU (421,642 parameters on Fashion-MNIST with its head).
int64_t build_tutorial_cnn(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  require_images(spec, shape);
  return add_conv_stack("tutorial_cnn", shape, {32, 64}, /*batch_norm=*/false, 128, enc);
}

// LeNet-5 (LeCun et al. 1998) in its common modern form: conv 5x5 6 - ReLU - max-pool,
// conv 5x5 16 - ReLU - max-pool, dense 120 - ReLU, dense 84 - ReLU. 28x28 inputs are padded
// by 2, as MNIST was for the original's 32x32 (61,706 parameters with a 10-class head).
int64_t build_lenet5(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  require_images(spec, shape);
  const int64_t pad = shape[1] < 32 || shape[2] < 32 ? 2 : 0;
  const int64_t h = ((shape[1] + 2 * pad - 4) / 2 - 4) / 2, w = ((shape[2] + 2 * pad - 4) / 2 - 4) / 2;
  if (h < 1 || w < 1) {
    throw ModelError("model type lenet5 needs images of at least 12x12; got input shape " + shape_str(shape));
  }
  enc->push_back("conv1", nn::Conv2d(nn::Conv2dOptions(shape[0], 6, 5).padding(pad)));
  enc->push_back("relu1", nn::ReLU());
  enc->push_back("pool1", nn::MaxPool2d(2));
  enc->push_back("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
  enc->push_back("relu2", nn::ReLU());
  enc->push_back("pool2", nn::MaxPool2d(2));
  enc->push_back("flatten", nn::Flatten());
  enc->push_back("fc1", nn::Linear(16 * h * w, 120));
  enc->push_back("relu3", nn::ReLU());
  enc->push_back("fc2", nn::Linear(120, 84));
  enc->push_back("relu4", nn::ReLU());
  return 84;
}

// Appends the ResNet stages (stage s: blocks[s] BasicBlocks with channels[s] channels;
// every stage but the first starts with a stride-2 block) and the global pooling.
int64_t add_resnet_stages(int64_t in, const std::vector<int64_t>& blocks, const std::vector<int64_t>& channels,
                          nn::Sequential& enc) {
  for (size_t s = 0; s < blocks.size(); ++s) {
    enc->push_back("stage" + std::to_string(s + 1), ResNetStage(in, channels[s], blocks[s], s == 0 ? 1 : 2));
    in = channels[s];
  }
  enc->push_back("pool", GlobalAvgPool());
  return in;
}

int64_t build_resnet(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  require_images(spec, shape);
  const int64_t depth = spec.depth;
  if (depth < 8 || (depth - 2) % 6 != 0) {
    std::string msg = "resnet depth must be 6n+2 (20, 32, 44, 56, 110); got " + std::to_string(depth);
    if (depth == 18) msg += " \xE2\x80\x94 for an 18-layer ResNet use type resnet18";
    throw ModelError(msg);
  }
  const int64_t n = (depth - 2) / 6;
  const int64_t w = spec.width;
  enc->push_back("stem", ResNetStem(shape[0], w, /*large=*/false));
  return add_resnet_stages(w, {n, n, n}, {w, 2 * w, 4 * w}, enc);
}

int64_t build_resnet18(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  require_images(spec, shape);
  const int64_t w = spec.width;
  // Small images (CIFAR) keep their resolution: 3x3 stride-1 stem, no max-pool.
  const bool large = std::min(shape[1], shape[2]) >= 64;
  enc->push_back("stem", ResNetStem(shape[0], 4 * w, large));
  return add_resnet_stages(4 * w, {2, 2, 2, 2}, {4 * w, 8 * w, 16 * w, 32 * w}, enc);
}

int64_t build_conv1d(const ModelSpec& spec, const std::vector<int64_t>& shape, nn::Sequential& enc) {
  if (shape.size() != 2) {
    throw ModelError("model type conv1d needs sensor windows [C,T]; got input shape " + shape_str(shape) +
                     " (use cnn, resnet or resnet18 for [C,H,W] images, mlp for flat or tabular data)");
  }
  const int64_t w = spec.width;
  const std::vector<int64_t> channels = {w, 2 * w, 2 * w};
  int64_t in = shape[0];
  int64_t t = shape[1];
  for (size_t i = 0; i < channels.size(); ++i) {
    const bool pool = t >= 2;  // halve the window while it is long enough
    if (pool) t /= 2;
    enc->push_back("block" + std::to_string(i + 1), ConvBlock1d(in, channels[i], pool));
    in = channels[i];
  }
  enc->push_back("pool", GlobalAvgPool());
  return in;
}

using Builder = std::function<int64_t(const ModelSpec&, const std::vector<int64_t>&, nn::Sequential&)>;

const std::map<std::string, Builder>& builders() {
  static const std::map<std::string, Builder> table = {
      {"mlp", build_mlp},
      {"cnn", build_cnn},
      {"tutorial_cnn", build_tutorial_cnn},
      {"lenet5", build_lenet5},
      {"resnet", build_resnet},
      {"resnet18", build_resnet18},
      {"conv1d", build_conv1d},
  };
  return table;
}

}  // namespace

std::vector<std::string> model_types() { return {"mlp", "cnn", "tutorial_cnn", "lenet5", "resnet", "resnet18", "conv1d"}; }

ModelImpl::ModelImpl(const ModelSpec& spec, std::vector<int64_t> input_shape, std::vector<int64_t> head_classes)
    : spec_(spec), input_shape_(std::move(input_shape)) {
  const auto builder = builders().find(spec_.type);
  if (builder == builders().end()) {
    throw ModelError("unknown model type '" + spec_.type + "'; choose one of: " + join(model_types(), ", "));
  }
  if (input_shape_.empty() ||
      std::any_of(input_shape_.begin(), input_shape_.end(), [](int64_t d) { return d <= 0; })) {
    throw ModelError("the input shape must have at least one dimension, all positive; got " +
                     shape_str(input_shape_));
  }
  if (spec_.type != "mlp" && spec_.width <= 0) {
    throw ModelError("model width must be positive; got " + std::to_string(spec_.width));
  }
  if (spec_.feature_dim < 0) {
    throw ModelError("feature_dim must be 0 (the family's own size) or positive; got " +
                     std::to_string(spec_.feature_dim));
  }
  if (!(spec_.dropout >= 0.0 && spec_.dropout < 1.0)) {
    throw ModelError("dropout must be in [0, 1); got " + std::to_string(spec_.dropout));
  }
  for (size_t i = 0; i < head_classes.size(); ++i) {
    if (head_classes[i] <= 1) {
      throw ModelError("head " + std::to_string(i) + " has " + std::to_string(head_classes[i]) +
                       (head_classes[i] == 1 ? " class" : " classes") + "; a classification head needs at least 2");
    }
  }
  if (head_classes.empty() && !spec_.decoder) {
    throw ModelError("the model has neither a classification head nor a decoder; give the number of classes "
                     "or set decoder=true");
  }

  nn::Sequential encoder;
  feature_dim_ = builder->second(spec_, input_shape_, encoder);
  if (spec_.feature_dim > 0) {
    // A plain linear bottleneck (no activation): the autoencoder's latent code.
    encoder->push_back("bottleneck", nn::Linear(feature_dim_, spec_.feature_dim));
    feature_dim_ = spec_.feature_dim;
  }
  encoder_ = register_module("encoder", encoder);

  if (spec_.dropout > 0.0) dropout_ = register_module("dropout", nn::Dropout(spec_.dropout));
  heads_ = register_module("heads", nn::ModuleList());
  for (int64_t classes : head_classes) heads_->push_back(nn::Linear(feature_dim_, classes));

  if (spec_.decoder) {
    decoder_ = register_module(
        "decoder", nn::Sequential(nn::Linear(feature_dim_, kDecoderHidden), nn::ReLU(),
                                  nn::Linear(kDecoderHidden, product(input_shape_)), nn::Unflatten(1, input_shape_)));
  }
}

torch::Tensor ModelImpl::features(const torch::Tensor& x) {
  const bool fits = x.dim() == static_cast<int64_t>(input_shape_.size()) + 1 &&
                    x.sizes().slice(1) == c10::IntArrayRef(input_shape_);
  if (!fits) {
    throw ModelError("the model expects batches of shape [B," + shape_str(input_shape_).substr(1) + "; got " +
                     shape_str(x.sizes()));
  }
  return encoder_->forward(x);
}

torch::Tensor ModelImpl::forward(const torch::Tensor& x) {
  if (heads_->is_empty()) throw ModelError(kNoHead);
  auto h = features(x);
  if (!dropout_.is_empty()) h = dropout_(h);
  return heads_->at<nn::LinearImpl>(0).forward(h);
}

std::vector<torch::Tensor> ModelImpl::forward_heads(const torch::Tensor& x) {
  if (heads_->is_empty()) throw ModelError(kNoHead);
  auto h = features(x);
  if (!dropout_.is_empty()) h = dropout_(h);
  std::vector<torch::Tensor> logits;
  for (size_t i = 0; i < heads_->size(); ++i) logits.push_back(heads_->at<nn::LinearImpl>(i).forward(h));
  return logits;
}

torch::Tensor ModelImpl::reconstruct(const torch::Tensor& x) {
  if (!has_decoder()) throw ModelError("this model has no decoder (set decoder=true in the model spec)");
  return torch::sigmoid(decoder_->forward(features(x)));
}

void ModelImpl::save_encoder(const std::string& path) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kEncoderFormat)));
  archive.write("type", c10::IValue(spec_.type));
  archive.write("input_shape", c10::IValue(input_shape_));
  archive.write("feature_dim", c10::IValue(feature_dim_));
  // Tensor names hold dots, which archive keys may not: store them as lists beside
  // numbered keys.
  std::vector<std::string> param_names;
  for (const auto& p : encoder_->named_parameters()) {
    archive.write("param" + std::to_string(param_names.size()), p.value().detach().cpu(), /*is_buffer=*/false);
    param_names.push_back(p.key());
  }
  std::vector<std::string> buffer_names;
  for (const auto& b : encoder_->named_buffers()) {
    archive.write("buffer" + std::to_string(buffer_names.size()), b.value().detach().cpu(), /*is_buffer=*/true);
    buffer_names.push_back(b.key());
  }
  archive.write("param_names", c10::IValue(param_names));
  archive.write("buffer_names", c10::IValue(buffer_names));
  try {
    archive.save_to(path);
  } catch (const std::exception& e) {
    throw ModelError("cannot write encoder file '" + path + "': " + first_line(e));
  }
}

void ModelImpl::load_encoder(const std::string& path) {
  const std::string file = "encoder file '" + path + "'";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ModelError(file + " does not exist");

  torch::serialize::InputArchive archive;
  std::string type;
  std::vector<int64_t> shape;
  int64_t features = 0;
  std::map<std::string, torch::Tensor> saved_params, saved_buffers;
  try {
    archive.load_from(path);
    c10::IValue value;
    if (!archive.try_read("format", value) || !value.isString() || value.toStringRef() != kEncoderFormat) {
      throw ModelError(file + " is not an encoder file written by save_encoder");
    }
    archive.read("type", value);
    type = value.toStringRef();
    archive.read("input_shape", value);
    shape = value.toIntVector();
    archive.read("feature_dim", value);
    features = value.toInt();
    // Reads the tensors named in list `names_key` stored under "<prefix>0", "<prefix>1", ...
    auto read_tensors = [&](const std::string& names_key, const std::string& prefix, bool is_buffer) {
      std::map<std::string, torch::Tensor> tensors;
      c10::IValue names;
      archive.read(names_key, names);
      const auto list = names.toList();
      for (size_t i = 0; i < list.size(); ++i) {
        torch::Tensor t;
        archive.read(prefix + std::to_string(i), t, is_buffer);
        tensors[list.get(i).toStringRef()] = t;
      }
      return tensors;
    };
    saved_params = read_tensors("param_names", "param", false);
    saved_buffers = read_tensors("buffer_names", "buffer", true);
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(file + " cannot be read (corrupt, or not written by save_encoder): " + first_line(e));
  }

  const std::string context = " (file: " + type + " encoder for input " + shape_str(shape) + ", " +
                              std::to_string(features) + " features; this model: " + spec_.type +
                              " encoder for input " + shape_str(input_shape_) + ", " +
                              std::to_string(feature_dim_) + " features)";
  if (type != spec_.type) {
    throw ModelError("cannot load " + file + " into this model: encoder type differs" + context);
  }
  // Check every tensor before changing any, so a failed load leaves the model as it was.
  auto check = [&](const torch::OrderedDict<std::string, torch::Tensor>& mine,
                   const std::map<std::string, torch::Tensor>& saved) {
    for (const auto& item : mine) {
      const auto found = saved.find(item.key());
      std::string problem;
      if (found == saved.end()) {
        problem = "missing from the file";
      } else if (found->second.sizes() != item.value().sizes()) {
        problem = "file has " + shape_str(found->second.sizes()) + ", model has " + shape_str(item.value().sizes());
      }
      if (!problem.empty()) {
        throw ModelError("cannot load " + file + ": encoder." + item.key() + ": " + problem + context);
      }
    }
    for (const auto& [name, tensor] : saved) {
      if (!mine.contains(name)) {
        throw ModelError("cannot load " + file + ": encoder." + name + ": in the file but not in this model" +
                         context);
      }
    }
  };
  auto params = encoder_->named_parameters();
  auto buffers = encoder_->named_buffers();
  check(params, saved_params);
  check(buffers, saved_buffers);

  torch::NoGradGuard no_grad;
  for (auto& item : params) item.value().copy_(saved_params.at(item.key()));
  for (auto& item : buffers) item.value().copy_(saved_buffers.at(item.key()));
}

void ModelImpl::freeze_encoder(bool frozen) {
  frozen_ = frozen;
  for (auto& p : encoder_->parameters()) {
    p.requires_grad_(!frozen);
    // Drop old gradients so an optimiser skips these parameters entirely (no weight
    // decay or momentum step from a stale gradient).
    if (frozen) p.mutable_grad() = torch::Tensor();
  }
  encoder_->train(frozen ? false : is_training());
}

void ModelImpl::train(bool on) {
  nn::Module::train(on);
  if (frozen_) encoder_->eval();
}

int64_t parameter_count(torch::nn::Module& m, bool trainable_only) {
  int64_t count = 0;
  for (const auto& p : m.parameters(/*recurse=*/true)) {
    if (!trainable_only || p.requires_grad()) count += p.numel();
  }
  return count;
}

std::string model_summary(Model& m) {
  ModelImpl& model = *m;
  struct Row {
    std::string name, type, output;
    int64_t params;
  };
  std::vector<Row> rows;
  auto add_row = [&rows](const std::string& name, nn::Module& module, const torch::Tensor& out) {
    rows.push_back({name, describe(module), shape_str(out.sizes().slice(1)), parameter_count(module)});
  };
  // Runs `input` through the children of `seq`, one row each; returns the output.
  auto run_sequential = [&add_row](const std::string& prefix, nn::Sequential& seq, torch::Tensor x) {
    const auto children = seq->named_children();
    size_t i = 0;
    for (auto& any : *seq) {
      x = any.forward(x);
      add_row(prefix + children[i++].key(), *any.ptr(), x);
    }
    return x;
  };

  // Forward in eval mode (BatchNorm running statistics untouched); restore the mode after.
  struct ModeGuard {
    ModelImpl& model;
    bool was_training;
    ~ModeGuard() { model.train(was_training); }
  } mode_guard{model, model.is_training()};
  model.eval();
  torch::NoGradGuard no_grad;

  auto options = torch::TensorOptions();
  const auto params = model.parameters();
  if (!params.empty()) options = options.device(params.front().device()).dtype(params.front().dtype());
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), model.input_shape().begin(), model.input_shape().end());

  const auto children = model.named_children();
  const torch::Tensor features = run_sequential("encoder.", model.encoder(), torch::zeros(shape, options));
  if (const auto* dropout = children.find("dropout")) add_row("dropout", **dropout, features);
  if (model.head_count() > 0) {
    const auto logits = model.forward_heads(torch::zeros(shape, options));
    const auto heads = children["heads"]->children();
    for (size_t i = 0; i < logits.size(); ++i) add_row("heads." + std::to_string(i), *heads[i], logits[i]);
  }
  if (const auto* decoder = children.find("decoder")) {
    nn::Sequential seq(std::dynamic_pointer_cast<nn::SequentialImpl>(*decoder));
    run_sequential("decoder.", seq, features);
  }

  // An aligned table: name, type and output left-aligned, parameters right-aligned.
  const Row header = {"layer", "type", "output", 0};
  size_t w_name = header.name.size(), w_type = header.type.size(), w_out = header.output.size(), w_params = 6;
  for (const auto& r : rows) {
    w_name = std::max(w_name, r.name.size());
    w_type = std::max(w_type, r.type.size());
    w_out = std::max(w_out, r.output.size());
    w_params = std::max(w_params, std::to_string(r.params).size());
  }
  const ModelSpec& spec = model.spec();
  std::ostringstream out;
  out << "model: " << spec.type << " encoder, input " << shape_str(model.input_shape()) << ", "
      << model.feature_dim() << " features, " << model.head_count() << (model.head_count() == 1 ? " head" : " heads")
      << (model.has_decoder() ? ", decoder" : "") << (model.encoder_frozen() ? " (encoder frozen)" : "") << "\n";
  auto line = [&](const std::string& name, const std::string& type, const std::string& output,
                  const std::string& params) {
    out << std::left << std::setw(static_cast<int>(w_name)) << name << "  " << std::setw(static_cast<int>(w_type))
        << type << "  " << std::setw(static_cast<int>(w_out)) << output << "  " << std::right
        << std::setw(static_cast<int>(w_params)) << params << "\n";
  };
  line(header.name, header.type, header.output, "params");
  line(std::string(w_name, '-'), std::string(w_type, '-'), std::string(w_out, '-'), std::string(w_params, '-'));
  for (const auto& r : rows) line(r.name, r.type, r.output, std::to_string(r.params));
  out << "total params: " << parameter_count(model) << "\n";
  out << "trainable params: " << parameter_count(model, /*trainable_only=*/true) << "\n";
  return out.str();
}

}  // namespace powertrain::train
