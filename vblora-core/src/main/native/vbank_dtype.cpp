// Casts a DJL PyTorch tensor to another dtype through libtorch's own at::_ops::_to_copy. DJL 0.36 maps its DataType
// enum to libtorch's dtypes without a bfloat16 case (toType(BFLOAT16) aborts the JVM), and its jars ship no libtorch
// headers, so this file declares the few libtorch types it touches by their ABI and finds the operator with dlsym in
// the libtorch_cpu.so that DJL already loaded. The dispatcher call records autograd (ToCopyBackward) like tensor.to().
#include <jni.h>
#include <dlfcn.h>

#include <cstdint>
#include <optional>
#include <string>

namespace {

// at::Tensor is one intrusive pointer with a non-trivial destructor: the C++ ABI passes and returns it through memory,
// as it does this struct. The empty destructor leaves the reference count alone: ownership moves to a heap copy
// that DJL later deletes as a torch::Tensor*, which releases it.
struct Tensor {
    void* impl;
    ~Tensor() {}
};
enum class ScalarType : int8_t {};
enum class Layout : int8_t {};
enum class MemoryFormat : int8_t {};
struct Device {
    int8_t type;
    int8_t index;
};

using ToCopy = Tensor (*)(const Tensor&, std::optional<ScalarType>, std::optional<Layout>, std::optional<Device>,
                          std::optional<bool>, bool, std::optional<MemoryFormat>);

// at::_ops::_to_copy::call as libtorch 2.x (std::optional parameters) exports it
constexpr const char* TO_COPY =
        "_ZN2at4_ops8_to_copy4callERKNS_6TensorESt8optionalIN3c1010ScalarTypeEES5_INS6_6LayoutEES5_INS6_6DeviceEES5_"
        "IbEbS5_INS6_12MemoryFormatEE";

ToCopy toCopy = nullptr;

void throwJava(JNIEnv* env, const std::string& message) {
    jclass type = env->FindClass("java/lang/IllegalStateException");
    if (type != nullptr) {
        env->ThrowNew(type, message.c_str());
    }
}

}  // namespace

extern "C" {

// Finds _to_copy in the already loaded libtorch at {@code libtorchPath}; returns null, or why it could not.
JNIEXPORT jstring JNICALL Java_dev_vbank_vblora_precision_NativeCasts_bind(JNIEnv* env, jclass, jstring libtorchPath) {
    const char* path = env->GetStringUTFChars(libtorchPath, nullptr);
    void* library = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    env->ReleaseStringUTFChars(libtorchPath, path);
    if (library == nullptr) {
        const char* why = dlerror();
        return env->NewStringUTF((std::string("libtorch is not loaded: ") + (why ? why : "?")).c_str());
    }
    void* symbol = dlsym(library, TO_COPY);
    if (symbol == nullptr) {
        return env->NewStringUTF("this libtorch exports no at::_ops::_to_copy::call with std::optional parameters");
    }
    toCopy = reinterpret_cast<ToCopy>(symbol);
    return nullptr;
}

// A new tensor handle holding {@code handle}'s values as libtorch ScalarType {@code scalarType}.
JNIEXPORT jlong JNICALL Java_dev_vbank_vblora_precision_NativeCasts_cast(JNIEnv* env, jclass, jlong handle,
                                                                          jint scalarType) {
    if (toCopy == nullptr) {
        throwJava(env, "NativeCasts.bind has not succeeded");
        return 0;
    }
    try {
        const auto* self = reinterpret_cast<const Tensor*>(handle);
        Tensor result = toCopy(*self, static_cast<ScalarType>(scalarType), std::nullopt, std::nullopt, std::nullopt,
                               false, std::nullopt);
        return reinterpret_cast<jlong>(new Tensor{result.impl});
    } catch (const std::exception& e) {
        throwJava(env, std::string("dtype cast failed: ") + e.what());
    } catch (...) {
        throwJava(env, "dtype cast failed");
    }
    return 0;
}

}  // extern "C"
