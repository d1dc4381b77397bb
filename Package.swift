// swift-tools-version:6.0
// slmflow: declarative, cached pipelines for small-language-model experiments.
// Layers (docs/design.md): C system libraries → SLMCore, SLMTensor → SLMPipeline, SLMFormats → slmflow.
// The pipeline core imports nothing of ML; stage kinds plug in through a registry.
import PackageDescription

let package = Package(
    name: "slmflow",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "slmflow", targets: ["slmflow"]),
        .library(name: "SLMPipeline", targets: ["SLMPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // [0] System libraries (Debian packages installed by scripts/setup.sh).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CShims"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // [1] Hashing, canonical JSON, atomic files, locks, compression, terminal output.
        .target(name: "SLMCore", dependencies: ["CZstd", "CCrypto", "CShims"]),
        // [2] Tensors, kernels (BLAS for contractions, SIMD Swift for the rest), tape autograd.
        // Optimised in debug builds too: unoptimised SIMD kernels run 50-100x slower, which
        // would make the training tests (and any debug run of a model) crawl.
        .target(
            name: "SLMTensor", dependencies: ["COpenBLAS", "CShims", "SLMCore"],
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
                            .unsafeFlags(["-O"], .when(configuration: .debug))]),
        // [3] safetensors read (mmap, validated) and atomic write.
        .target(name: "SLMFormats", dependencies: ["SLMCore", "SLMTensor", "CZlib"]),
        // [3] The model zoo: manifests, tensor blobs, importers, lineage.
        .target(name: "SLMZoo", dependencies: ["SLMCore", "SLMFormats", "SLMTensor", "SLMFetch", "SLMText"]),
        // [1] HTTP(S)/file downloads on libcurl: resume, retries, stall timeout, progress, hashing.
        .target(name: "SLMFetch", dependencies: ["SLMCore", "CCurl"]),
        // [4] Mu encoder–decoder, decoder-only baseline, Llama-family models; loading, saving, generation.
        .target(
            name: "SLMModels", dependencies: ["SLMTensor", "SLMFormats", "SLMCore", "COpenBLAS"],
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
                            .unsafeFlags(["-O"], .when(configuration: .debug))]),
        // [5] AdamW, schedules, clipping, accumulation, checkpoints and resumable training loops.
        .target(name: "SLMTrain", dependencies: ["SLMModels", "SLMTensor", "SLMFormats", "SLMCore"]),
        // [2] Pipeline spec, DAG, stage keys, run cache, scheduler.
        .target(name: "SLMPipeline", dependencies: ["SLMCore", "CLibYAML"]),
        // [3] HF-compatible tokenizers (tokenizer.json), a byte-level BPE trainer, dataset records.
        .target(name: "SLMText"),
        .target(name: "SLMData", dependencies: ["SLMCore"]),
        // [5] The ML stage kinds: where datasets, tokenizers (and models) meet the pipeline.
        .target(name: "SLMStages", dependencies: ["SLMCore", "SLMPipeline", "SLMText", "SLMData", "SLMFetch", "SLMFormats", "SLMTensor", "SLMModels", "SLMTrain", "SLMZoo", "SLMEval"]),
        // [3] Evaluation metrics (SQuAD v2, ROUGE, BLEU) and the comparison table; pure functions.
        .target(name: "SLMEval", dependencies: ["SLMCore"]),
        // [7] The command line.
        .executableTarget(
            name: "slmflow",
            dependencies: [
                "SLMCore", "SLMPipeline", "SLMZoo", "SLMFetch", "SLMText", "SLMData", "SLMStages", "SLMEval", "SLMTensor", "SLMModels", "SLMTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "SLMCoreTests", dependencies: ["SLMCore"]),
        .testTarget(name: "SLMPipelineTests", dependencies: ["SLMPipeline"]),
        .testTarget(name: "SLMTensorTests", dependencies: ["SLMTensor"]),
        // Fixtures/ holds files read through #filePath (not bundle resources).
        .testTarget(name: "SLMFormatsTests", dependencies: ["SLMFormats", "SLMTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "SLMZooTests", dependencies: ["SLMZoo", "SLMFormats", "SLMCore", "SLMText", "SLMTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SLMTextTests", dependencies: ["SLMText"], exclude: ["Fixtures"]),
        .testTarget(name: "SLMDataTests", dependencies: ["SLMData"]),
        .testTarget(name: "SLMStagesTests", dependencies: ["SLMStages", "SLMData", "SLMText", "SLMPipeline", "SLMCore", "SLMModels", "SLMZoo", "SLMEval", "SLMTestSupport"]),
        // Test helpers shared by several test targets (a GGUF writer).
        .target(name: "SLMTestSupport", dependencies: ["SLMFormats", "SLMCore"], path: "Tests/SLMTestSupport"),
        .testTarget(name: "SLMEvalTests", dependencies: ["SLMEval", "SLMCore"], exclude: ["Fixtures"]),
        // Golden/ holds PyTorch outputs written by scripts/golden/make_model_golden.py.
        .testTarget(name: "SLMModelsTests", dependencies: ["SLMModels", "SLMTensor", "SLMFormats"], exclude: ["Golden"]),
        .testTarget(name: "SLMTrainTests", dependencies: ["SLMTrain", "SLMModels", "SLMTensor", "SLMFormats"]),
        .testTarget(name: "slmflowTests", dependencies: ["slmflow", "SLMCore", "SLMPipeline", "SLMTestSupport"]),
    ]
)
