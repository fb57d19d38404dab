// Calibration from image files: decoding (stb_image), bilinear resize, channel order,
// normalisation and layout, and the errors for models images cannot feed.
#include "quant/calibration_images.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "exec/npy.h"
#include "graph_builder.h"
#include "quant/calibration_data.h"

namespace pt2tflite::quant {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pt2tflite_images_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Binary PPM (P6, RGB) or PGM (P5, gray): the simplest formats stb_image reads.
  std::string write_pnm(const std::string& name, int w, int h, int channels, const std::vector<uint8_t>& px) {
    const std::string path = (dir_ / name).string();
    std::ofstream f(path, std::ios::binary);
    f << (channels == 3 ? "P6" : "P5") << "\n" << w << " " << h << "\n255\n";
    f.write(reinterpret_cast<const char*>(px.data()), static_cast<std::streamsize>(px.size()));
    return path;
  }

  fs::path dir_;
};

std::vector<float> floats(const ir::Tensor& t) { return t.to_floats(); }

TEST_F(ImagesTest, DecodesPpmAndPgm) {
  const std::vector<uint8_t> rgb = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  auto im = decode_image(write_pnm("a.ppm", 3, 2, 3, rgb));
  ASSERT_TRUE(im.is_ok()) << im.status().message();
  EXPECT_EQ(im->height, 2);
  EXPECT_EQ(im->width, 3);
  EXPECT_EQ(im->channels, 3);
  EXPECT_EQ(im->pixels, rgb);
  auto gray = decode_image(write_pnm("b.pgm", 2, 1, 1, {0, 255}));
  ASSERT_TRUE(gray.is_ok());
  EXPECT_EQ(gray->channels, 1);
  EXPECT_EQ(gray->pixels, (std::vector<uint8_t>{0, 255}));
}

// BMP stores rows bottom-up in BGR order: decoding must still give top-down RGB.
TEST_F(ImagesTest, DecodesBmpAsRgb) {
  const std::string path = (dir_ / "a.bmp").string();
  auto u32 = [](uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  auto u16 = [](uint16_t v) { return std::string{char(v), char(v >> 8)}; };
  // 1×2 image, 24 bits; each row padded to 4 bytes. Bottom row first: blue pixel, then the top: red.
  const std::string rows = std::string("\xff\x00\x00\x00", 4) + std::string("\x00\x00\xff\x00", 4);
  std::ofstream f(path, std::ios::binary);
  f << "BM" << u32(54 + rows.size()) << u32(0) << u32(54)                        // file header
    << u32(40) << u32(1) << u32(2) << u16(1) << u16(24) << u32(0) << u32(rows.size())  // info header
    << u32(2835) << u32(2835) << u32(0) << u32(0) << rows;
  f.close();
  auto im = decode_image(path);
  ASSERT_TRUE(im.is_ok()) << im.status().message();
  EXPECT_EQ(im->channels, 3);
  EXPECT_EQ(im->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 0, 255}));  // top red, bottom blue
}

TEST_F(ImagesTest, UndecodableFileNamesTheFile) {
  const std::string path = (dir_ / "broken.png").string();
  std::ofstream(path) << "not a png";
  auto im = decode_image(path);
  ASSERT_FALSE(im.is_ok());
  EXPECT_NE(im.status().message().find("broken.png"), std::string::npos);
}

TEST(ResizeBilinear, HalfPixelCentresClampedAtBorders) {
  // 1×2 → 1×4: source x = (o + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (→ last pixel).
  Image im{1, 2, 1, {0, 100}};
  EXPECT_EQ(resize_bilinear(im, 1, 4), (std::vector<float>{0, 25, 75, 100}));
  // 2×2 → 1×1 averages the four pixels; each channel separately.
  Image rgb{2, 2, 3, {0, 0, 0, 4, 8, 12, 8, 16, 24, 12, 24, 36}};
  EXPECT_EQ(resize_bilinear(rgb, 1, 1), (std::vector<float>{6, 12, 18}));
  // Same size: unchanged.
  Image g{2, 2, 1, {9, 8, 7, 6}};
  EXPECT_EQ(resize_bilinear(g, 2, 2), (std::vector<float>{9, 8, 7, 6}));
}

TEST(ImageToSample, NchwWithMeanStdAndChannelOrder) {
  testing::Builder b;
  ir::Value* x = b.input("x", {1, 3, 1, 2});
  Image im{1, 2, 3, {255, 0, 51, 0, 255, 102}};  // two RGB pixels
  ImageOptions o{{0.5f}, {0.5f, 0.25f, 1.0f}, false};
  auto t = image_to_sample(im, *x, false, o, "img");
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->shape, (ir::Shape{1, 3, 1, 2}));
  // Planes R, G, B: (v/255 - 0.5) / std.
  EXPECT_EQ(floats(*t), (std::vector<float>{1, -1, -2, 2, 0.2f - 0.5f, 0.4f - 0.5f}));
  o.bgr = true;
  o.std = {};
  auto bgr = image_to_sample(im, *x, false, o, "img");
  ASSERT_TRUE(bgr.is_ok());
  EXPECT_EQ(floats(*bgr), (std::vector<float>{0.2f - 0.5f, 0.4f - 0.5f, -0.5f, 0.5f, 0.5f, -0.5f}));
}

TEST(ImageToSample, NhwcInterleavedAndResized) {
  testing::Builder b;
  ir::Value* x = b.input("x", {1, 1, 1, 3});  // channels-last under --nhwc-io
  Image im{2, 2, 4, {0, 0, 0, 9, 255, 255, 255, 9, 0, 0, 0, 9, 255, 255, 255, 9}};  // RGBA: alpha dropped
  auto t = image_to_sample(im, *x, true, ImageOptions{}, "img");
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(floats(*t), (std::vector<float>{0.5f, 0.5f, 0.5f}));
}

TEST(ImageToSample, RefusesWhatImagesCannotFeed) {
  testing::Builder b;
  ir::Value* rgb = b.input("rgb", {1, 3, 4, 4});
  ir::Value* gray = b.input("gray", {1, 1, 4, 4});
  ir::Value* flat = b.input("flat", {1, 16});
  ir::Value* five = b.input("five", {1, 5, 4, 4});
  Image g{4, 4, 1, std::vector<uint8_t>(16, 7)};
  Image c{4, 4, 3, std::vector<uint8_t>(48, 7)};
  auto msg = [](const Result<ir::Tensor>& r) { return r.is_ok() ? std::string("ok") : r.status().message(); };
  EXPECT_NE(msg(image_to_sample(g, *rgb, false, {}, "g.png")).find("g.png: the image is grayscale but input 'rgb'"),
            std::string::npos);
  EXPECT_NE(msg(image_to_sample(c, *gray, false, {}, "c.png")).find("colour but input 'gray' takes 1 channel"),
            std::string::npos);
  EXPECT_NE(msg(image_to_sample(c, *flat, false, {}, "c.png")).find("shape [1,C,H,W]"), std::string::npos);
  EXPECT_NE(msg(image_to_sample(c, *five, false, {}, "c.png")).find("has 5 channels"), std::string::npos);
  const ImageOptions two_means{{0.1f, 0.2f}, {}, false};
  EXPECT_NE(msg(image_to_sample(c, *rgb, false, two_means, "c.png")).find("--mean has 2 values"), std::string::npos);
  EXPECT_TRUE(image_to_sample(g, *gray, false, {}, "g.png").is_ok());
}

TEST_F(ImagesTest, FolderInNameOrderWithLimit) {
  testing::Builder b;
  b.input("x", {1, 1, 1, 1});
  write_pnm("b.pgm", 1, 1, 1, {51});
  write_pnm("a.pgm", 1, 1, 1, {255});
  write_pnm("c.pgm", 1, 1, 1, {102});
  std::ofstream(dir_ / "notes.txt") << "ignored";
  SampleSource src;
  auto all = load_samples(b.g, dir_.string(), src);
  ASSERT_TRUE(all.is_ok()) << all.status().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(floats((*all)[0][0])[0], 1.0f);
  EXPECT_EQ(floats((*all)[1][0])[0], 0.2f);
  src.limit = 2;
  auto two = load_samples(b.g, dir_.string(), src);
  ASSERT_TRUE(two.is_ok());
  EXPECT_EQ(two->size(), 2u);
  // One image file works too.
  auto one = load_samples(b.g, (dir_ / "c.pgm").string(), SampleSource{});
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ(floats((*one)[0][0])[0], 0.4f);
}

TEST_F(ImagesTest, FolderErrors) {
  testing::Builder b;
  b.input("x", {1, 1, 1, 1});
  b.input("y", {1, 1, 1, 1});
  write_pnm("a.pgm", 1, 1, 1, {0});
  auto two_inputs = load_samples(b.g, dir_.string(), SampleSource{});
  ASSERT_FALSE(two_inputs.is_ok());
  EXPECT_NE(two_inputs.status().message().find("one-input models only; this model has 2 inputs"), std::string::npos);

  testing::Builder one;
  one.input("x", {1, 1, 1, 1});
  ASSERT_TRUE(exec::write_npy((dir_ / "z.npy").string(), ir::Tensor::from_floats({1, 1, 1, 1}, {0})).is_ok());
  auto mixed = load_samples(one.g, dir_.string(), SampleSource{});
  ASSERT_FALSE(mixed.is_ok());
  EXPECT_NE(mixed.status().message().find("both .npy/.npz files and images"), std::string::npos);

  SampleSource with_mean;
  with_mean.image.mean = {0.5f};
  auto arrays = load_samples(one.g, (dir_ / "z.npy").string(), with_mean);
  ASSERT_FALSE(arrays.is_ok());
  EXPECT_NE(arrays.status().message().find("apply to image files only"), std::string::npos);
}

// Under --nhwc-io an NCHW stack [N,C,H,W] (no per-sample batch axis) feeds the NHWC input.
TEST(SamplesFromArrays, NchwStackWithoutBatchAxisUnderNhwcIo) {
  testing::Builder b;
  b.input("x", {1, 1, 2, 2});  // NHWC [1,H=1,W=2,C=2]
  SampleSource src;
  src.nhwc_io = true;
  const ir::Tensor stack = ir::Tensor::from_floats({3, 2, 1, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto s = samples_from_arrays(b.g, {{stack}}, src);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[1][0].shape, (ir::Shape{1, 1, 2, 2}));
  EXPECT_EQ(floats((*s)[1][0]), (std::vector<float>{4, 6, 5, 7}));  // CHW [[4,5],[6,7]] → HWC
}

}  // namespace
}  // namespace pt2tflite::quant
