// The one translation unit that compiles stb_image (Debian's libstb-dev ships the header);
// only the formats --calibration reads.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#include <stb/stb_image.h>
