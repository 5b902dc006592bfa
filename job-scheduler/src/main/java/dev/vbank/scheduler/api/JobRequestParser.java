package dev.vbank.scheduler.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.spec.BaseModelShape;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.common.spec.InvalidSpecException;
import dev.vbank.common.spec.JobRequestFields;
import dev.vbank.scheduler.eval.EvaluationRequestParser;
import dev.vbank.scheduler.jobs.NewJob;
import dev.vbank.service.error.Invalid;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a create-job body into a {@link NewJob}, or throws a 400 {@link Invalid} whose {@code param} is the JSON path
 * of the first offending field. Hyperparameters are checked against platform-common's job spec ({@link Hyperparameters}:
 * types, ranges, the base model's shape) so that a job that would fail at its first step is rejected up front, and the
 * job keeps them resolved: every value it trains with, defaults filled in.
 */
public final class JobRequestParser {

    static final Pattern SUFFIX = Pattern.compile("[a-zA-Z0-9_-]{1,40}");
    static final Pattern FILE_ID = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

    private JobRequestParser() {
    }

    public static NewJob parse(String body) {
        JsonNode root = RequestBodies.object(body);
        RequestBodies.rejectUnknown(root, JobRequestFields.TOP, "");

        String model = requiredString(root.get("model"), "model");
        BaseModelShape base = BaseModelShapes.find(model).orElseThrow(() -> Invalid.of("model",
                "unknown model '" + model + "'; available: " + String.join(", ", BaseModelShapes.ids())));
        String trainingFile = fileId(root, "training_file", true);
        String validationFile = fileId(root, "validation_file", false);

        JsonNode method = root.get("method");
        if (method == null || method.isNull()) {
            throw Invalid.of("method", "method is required");
        }
        if (!method.isObject()) {
            throw Invalid.of("method", "method must be an object with type and hyperparameters");
        }
        RequestBodies.rejectUnknown(method, JobRequestFields.METHOD, "method.");
        String typeName = requiredString(method.get("type"), "method.type");
        MethodType type;
        try {
            type = MethodType.fromWireName(typeName);
        } catch (IllegalArgumentException e) {
            throw Invalid.of("method.type", e.getMessage());
        }
        Map<String, Object> hyperparameters;
        try {
            hyperparameters = Hyperparameters.resolve(type, method.get("hyperparameters"), base);
        } catch (InvalidSpecException e) {
            throw Invalid.of(e.param(), e.getMessage());
        }

        String suffix = null;
        JsonNode s = root.get("suffix");
        if (s != null && !s.isNull()) {
            if (!s.isTextual() || !SUFFIX.matcher(s.asText()).matches()) {
                throw Invalid.of("suffix", "suffix must be 1 to 40 characters of a-z, A-Z, 0-9, _ and -");
            }
            suffix = s.asText();
        }
        Long seed = null;
        JsonNode sd = root.get("seed");
        if (sd != null && !sd.isNull()) {
            if (!sd.isIntegralNumber() || !sd.canConvertToLong() || sd.asLong() < 0 || sd.asLong() > Integer.MAX_VALUE) {
                throw Invalid.of("seed", "seed must be an integer from 0 to " + Integer.MAX_VALUE);
            }
            seed = sd.asLong();
        }
        JsonNode evaluation = root.get("evaluation");
        return new NewJob(model, trainingFile, validationFile, type, hyperparameters, suffix, seed,
                RequestBodies.metadata(root.get("metadata"), "metadata"),
                evaluation == null || evaluation.isNull() ? null : EvaluationRequestParser.parseAutoEvaluation(evaluation));
    }

    private static String fileId(JsonNode root, String field, boolean required) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw Invalid.of(field, field + " is required");
            }
            return null;
        }
        if (!v.isTextual() || !FILE_ID.matcher(v.asText()).matches()) {
            throw Invalid.of(field, field + " must be a file id (1 to 128 characters of a-z, A-Z, 0-9, _, . and -)");
        }
        return v.asText();
    }

    private static String requiredString(JsonNode v, String param) {
        if (v == null || v.isNull()) {
            throw Invalid.of(param, param + " is required");
        }
        if (!v.isTextual()) {
            throw Invalid.of(param, param + " must be a string");
        }
        return v.asText();
    }
}
