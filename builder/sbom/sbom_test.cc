#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/sbom/cyclonedx.h"
#include "builder/sbom/spdx.h"

namespace kiln::sbom {
namespace {

using nlohmann::json;

SbomInput SampleInput() {
  SbomInput in;
  in.image_name = "demo";
  in.image_version = "1.0";
  in.architecture = "x86-64";
  in.tool_version = "0.1.0";
  in.source_date_epoch = 1700000000;
  in.packages = {{"zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", ""},
                 {"bash", "5.2.15-2+b2", "amd64", "bash", "GPL-3.0-or-later"}};
  in.inputs = {{"tarball", "https://example.com/base.tar.gz", std::string(64, 'a')},
               {"recipe", "recipe.toml", std::string(64, 'b')}};
  in.files = {{"usr/bin/tool", std::string(64, 'c'), std::string(40, 'd'), 10, "recipe"},
              {"etc/greeting", std::string(64, 'e'), std::string(40, 'f'), 6, "overlay[0]"}};
  return in;
}

TEST(PurlTest, EncodesEpochAndPlus) {
  EXPECT_EQ(DebianPurl({"bash", "5.2.15-2+b2", "amd64", "", ""}), "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64");
  EXPECT_EQ(DebianPurl({"zlib1g", "1:1.2.13", "amd64", "", ""}), "pkg:deb/debian/zlib1g@1%3A1.2.13?arch=amd64");
}

TEST(SpdxTest, DocumentFields) {
  json d = json::parse(MakeSpdx(SampleInput()));
  EXPECT_EQ(d["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(d["dataLicense"], "CC0-1.0");
  EXPECT_EQ(d["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(d["name"], "demo-1.0");
  EXPECT_EQ(d["creationInfo"]["created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(d["creationInfo"]["creators"][0], "Tool: kiln-0.1.0");
  std::string ns = d["documentNamespace"];
  EXPECT_EQ(ns.rfind("https://kiln.dev/spdx/demo-1.0-", 0), 0u) << ns;
  EXPECT_EQ(ns.size(), std::string("https://kiln.dev/spdx/demo-1.0-").size() + 64);

  // Image + 2 packages (sorted by name) + 2 inputs.
  ASSERT_EQ(d["packages"].size(), 5u);
  EXPECT_EQ(d["packages"][0]["SPDXID"], "SPDXRef-Image");
  // The SPDX 2.3 JSON schema's enum spells it with an underscore (issue 14).
  EXPECT_EQ(d["packages"][0]["primaryPackagePurpose"], "OPERATING_SYSTEM");
  EXPECT_EQ(d["packages"][1]["name"], "bash");
  EXPECT_EQ(d["packages"][1]["licenseDeclared"], "GPL-3.0-or-later");
  EXPECT_EQ(d["packages"][1]["externalRefs"][0]["referenceLocator"], "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64");
  EXPECT_EQ(d["packages"][2]["name"], "zlib1g");
  EXPECT_EQ(d["packages"][2]["licenseConcluded"], "NOASSERTION");
  EXPECT_EQ(d["packages"][3]["name"], "https://example.com/base.tar.gz");
  EXPECT_EQ(d["packages"][3]["downloadLocation"], "https://example.com/base.tar.gz");
  EXPECT_EQ(d["packages"][3]["checksums"][0]["checksumValue"], std::string(64, 'a'));
  EXPECT_EQ(d["packages"][4]["downloadLocation"], "NOASSERTION");

  ASSERT_EQ(d["files"].size(), 2u);
  EXPECT_EQ(d["files"][0]["fileName"], "./etc/greeting");
  EXPECT_EQ(d["files"][0]["SPDXID"], "SPDXRef-File-1");
  EXPECT_EQ(d["files"][1]["checksums"][1]["algorithm"], "SHA256");
  EXPECT_EQ(d["files"][1]["checksums"][1]["checksumValue"], std::string(64, 'c'));

  // Every id referenced by a relationship exists; DESCRIBES the image; CONTAINS each package/file.
  std::set<std::string> ids{"SPDXRef-DOCUMENT"};
  for (auto& p : d["packages"]) ids.insert(p["SPDXID"].get<std::string>());
  for (auto& f : d["files"]) ids.insert(f["SPDXID"].get<std::string>());
  int contains = 0, describes = 0;
  for (auto& r : d["relationships"]) {
    EXPECT_TRUE(ids.count(r["spdxElementId"].get<std::string>())) << r;
    EXPECT_TRUE(ids.count(r["relatedSpdxElement"].get<std::string>())) << r;
    contains += r["relationshipType"] == "CONTAINS";
    describes += r["relationshipType"] == "DESCRIBES";
  }
  EXPECT_EQ(contains, 4);
  EXPECT_EQ(describes, 1);
}

TEST(SpdxTest, DeterministicAndOrderIndependent) {
  SbomInput a = SampleInput();
  SbomInput b = SampleInput();
  std::swap(b.packages[0], b.packages[1]);
  std::swap(b.files[0], b.files[1]);
  std::swap(b.inputs[0], b.inputs[1]);
  EXPECT_EQ(MakeSpdx(a), MakeSpdx(b));
  EXPECT_EQ(MakeCycloneDx(a), MakeCycloneDx(b));
  b.files[0].sha256 = std::string(64, '0');
  EXPECT_NE(json::parse(MakeSpdx(a))["documentNamespace"], json::parse(MakeSpdx(b))["documentNamespace"]);
  EXPECT_NE(json::parse(MakeCycloneDx(a))["serialNumber"], json::parse(MakeCycloneDx(b))["serialNumber"]);
}

TEST(CycloneDxTest, DocumentFields) {
  json d = json::parse(MakeCycloneDx(SampleInput()));
  EXPECT_EQ(d["bomFormat"], "CycloneDX");
  EXPECT_EQ(d["specVersion"], "1.5");
  std::string serial = d["serialNumber"];
  ASSERT_EQ(serial.size(), 9u + 36u) << serial;
  EXPECT_EQ(serial.substr(0, 9), "urn:uuid:");
  EXPECT_EQ(serial[9 + 14], '4');  // version 4 layout
  EXPECT_EQ(d["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(d["metadata"]["component"]["name"], "demo");
  ASSERT_EQ(d["components"].size(), 6u);
  EXPECT_EQ(d["components"][0]["purl"], "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64");
  EXPECT_EQ(d["components"][0]["licenses"][0]["expression"], "GPL-3.0-or-later");
  EXPECT_FALSE(d["components"][1].contains("licenses"));
  EXPECT_EQ(d["components"][2]["hashes"][0]["alg"], "SHA-256");
  EXPECT_EQ(d["components"][5]["name"], "/usr/bin/tool");
  std::set<std::string> refs;
  for (auto& c : d["components"]) EXPECT_TRUE(refs.insert(c["bom-ref"].get<std::string>()).second) << c;
}

TEST(FilesFromTreeTest, HashesNonBaseFilesOnly) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  std::string big(200000, 'x');
  ASSERT_TRUE(WriteFile(dir->path() / "big", big).ok());
  tree::FileTree t(0);
  tree::FileNode base;
  base.origin = "base";
  base.content = {dir->path() / "big", "", false, big.size()};
  ASSERT_TRUE(t.Insert("/usr/lib/base", base).ok());
  tree::FileNode ov = base;
  ov.origin = "overlay[0]";
  ASSERT_TRUE(t.Insert("/etc/big", ov).ok());
  tree::FileNode inl;
  inl.origin = "recipe";
  inl.content = {{}, "hello\n", true, 6};
  ASSERT_TRUE(t.Insert("/etc/hello", inl).ok());
  tree::FileNode link;
  link.type = tree::NodeType::kSymlink;
  link.target = "hello";
  link.origin = "recipe";
  ASSERT_TRUE(t.Insert("/etc/link", link).ok());

  auto files = FilesFromTree(t);
  ASSERT_TRUE(files.ok()) << files.error().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "etc/big");
  EXPECT_EQ((*files)[0].sha256, ToHex(Sha256Of(big)));
  EXPECT_EQ((*files)[0].size, big.size());
  EXPECT_EQ((*files)[0].origin, "overlay[0]");
  EXPECT_EQ((*files)[1].path, "etc/hello");
  EXPECT_EQ((*files)[1].sha256, ToHex(Sha256Of(std::string("hello\n"))));
  EXPECT_EQ((*files)[1].sha1, "f572d396fae9206628714fb2ce00f72e94f2258f");  // sha1sum of "hello\n"

  tree::FileNode missing = inl;
  missing.content = {dir->path() / "nope", "", false, 1};
  ASSERT_TRUE(t.Insert("/etc/missing", missing).ok());
  auto bad = FilesFromTree(t);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().ToString().find("etc/missing"), std::string::npos) << bad.error().ToString();
}

}  // namespace
}  // namespace kiln::sbom
