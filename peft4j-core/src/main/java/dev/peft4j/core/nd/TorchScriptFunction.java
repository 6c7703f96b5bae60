package dev.peft4j.core.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A libtorch function that DJL has no binding for, written here as TorchScript source and compiled by the engine's own
 * libtorch when loaded: the same native library, no second binding and nothing to build.
 *
 * <p>Why: DJL's JNI maps its data types to libtorch's with a switch that knows no bfloat16
 * ({@code GetScalarTypeFromDType} in {@code djl_pytorch_utils.h} ends in a bare {@code throw;}, which with no exception
 * in flight is {@code std::terminate}: every {@code toType(BFLOAT16)} or {@code create(..., BFLOAT16)} aborts the
 * JVM, on DJL 0.35.1 and 0.36.0 alike). An op that runs inside libtorch never crosses that switch, and DJL does
 * load TorchScript modules and run them with autograd recording. So a bf16 tensor can be made, multiplied and
 * turned back into fp32 inside one scripted function, and Java only ever sees fp32 results or opaque bf16 handles
 * (DJL reports their type as {@code UNKNOWN}: an op that passes the type back to the engine, such as
 * {@code mul(Number)}, would abort, so bf16 handles go only into functions compiled here, such as
 * {@code precision.Bf16Kernels}).
 *
 * <p>The module archive is what {@code torch.jit.save} writes (checked against one such file): {@code data.pkl}, a
 * pickle (protocol 2) of the module object with its {@code training} attribute; {@code code/__torch__.py}, the class
 * source that {@code torch.jit.load} compiles; an empty constants table; format version 3. Entries are stored, not
 * deflated, as the writer does.
 */
public final class TorchScriptFunction {

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    // Loaded modules live as long as the engine; this manager is never closed (one small module per function).
    private static final NDManager MODULES = NDManager.newBaseManager();

    private final PtSymbolBlock module;

    private TorchScriptFunction(PtSymbolBlock module) {
        this.module = module;
    }

    /**
     * Compiles {@code def forward(self, <parameters>) -> Tensor:} with {@code body}, one TorchScript statement per
     * string (each indented into the method), e.g. {@code compile("ToBf16", "x: Tensor", "return x.to(15)")} (dtypes
     * as {@code c10::ScalarType} numbers, as serialised TorchScript writes them). A source TorchScript cannot compile
     * fails here with libtorch's message.
     */
    public static TorchScriptFunction compile(String name, String parameters, String... body) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("A TorchScript function name must be an identifier, found '" + name
                    + "'");
        }
        StringBuilder source = new StringBuilder()
                .append("class ").append(name).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n")
                .append("  def forward(self: __torch__.").append(name).append(", ").append(parameters)
                .append(") -> Tensor:\n");
        for (String line : body) {
            source.append("    ").append(line).append('\n');
        }
        byte[] archive = archive(name, source.toString());
        try {
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) MODULES, new ByteArrayInputStream(archive),
                    false, false);
            return new TorchScriptFunction(module);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load the TorchScript function " + name, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("libtorch did not compile the TorchScript function " + name + ": "
                    + e.getMessage() + "\n" + source, e);
        }
    }

    /**
     * Runs the function on {@code inputs} (tensors only, in the order of the parameters) with autograd recording as
     * the thread's grad mode says; the result lives in the first input's manager, as DJL's own ops do.
     */
    public NDArray apply(NDArray... inputs) {
        // isTrain true: run under the caller's grad mode; false would force no-grad (DJL's inference guard).
        return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
    }

    static byte[] archive(String className, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            String root = className + "/";
            stored(zip, root + "data.pkl", pickledModule(className));
            stored(zip, root + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // protocol 2, empty tuple
            stored(zip, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    /** {@code __torch__.<className>} built from an empty tuple, then its state: {@code {"training": True}}. */
    private static byte[] pickledModule(String className) {
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(0x80); // PROTO
        pickle.write(2);
        pickle.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        pickle.write(')'); // EMPTY_TUPLE
        pickle.write(0x81); // NEWOBJ
        pickle.write('}'); // EMPTY_DICT
        pickle.write('('); // MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        pickle.write('X'); // BINUNICODE: 4-byte little-endian length, then UTF-8
        pickle.write(key.length);
        pickle.write(0);
        pickle.write(0);
        pickle.write(0);
        pickle.writeBytes(key);
        pickle.write(0x88); // NEWTRUE
        pickle.write('u'); // SETITEMS
        pickle.write('b'); // BUILD
        pickle.write('.'); // STOP
        return pickle.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
