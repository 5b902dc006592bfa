package dev.vbank.gateway.api;

import dev.vbank.common.job.MethodType;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes the job spec (platform-common) into the OpenAPI document: the method types, every hyperparameter with its
 * type, range, default (in its description) and the methods that take it, and the base models a job may name. Run by
 * {@link ApiDocument}, the gateway's {@code mp.openapi.filter}.
 */
public class JobSpecSchemas implements OASFilter {

    static final String METHOD = "FineTuningMethod";
    static final String HYPERPARAMETERS = "Hyperparameters";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        Schema hyperparameters = object().additionalPropertiesBoolean(false).description("Validated per method and base"
                + " model; a job reports them resolved: every value it trains with, defaults filled in.");
        Map<String, List<Hyperparameter>> byName = Hyperparameters.ALL.stream()
                .collect(Collectors.groupingBy(Hyperparameter::name, LinkedHashMap::new, Collectors.toList()));
        byName.forEach((name, declared) -> hyperparameters.addProperty(name, property(declared)));
        components.addSchema(HYPERPARAMETERS, hyperparameters);

        Schema type = OASFactory.createSchema().addType(SchemaType.STRING)
                .enumeration(Arrays.stream(MethodType.values()).map(m -> (Object) m.wireName()).toList());
        components.addSchema(METHOD, object().required(List.of("type")).addProperty("type", type)
                .addProperty("hyperparameters", OASFactory.createSchema().ref(HYPERPARAMETERS)));

        Schema create = components.getSchemas().get("CreateFineTuningJobRequest");
        if (create != null) {
            create.addProperty("method", OASFactory.createSchema().ref(METHOD));
            create.addProperty("model", OASFactory.createSchema().addType(SchemaType.STRING)
                    .enumeration(BaseModelShapes.ids().stream().map(id -> (Object) id).toList()));
        }
        Schema job = components.getSchemas().get("FineTuningJob");
        if (job != null) {
            job.addProperty("method", OASFactory.createSchema().ref(METHOD));
        }
    }

    /** One property; a name two methods declare with different defaults (r) says each. */
    private static Schema property(List<Hyperparameter> declared) {
        Hyperparameter h = declared.get(0);
        Schema s = OASFactory.createSchema();
        switch (h.type()) {
            case INTEGER -> s.addType(SchemaType.INTEGER);
            case NUMBER -> s.addType(SchemaType.NUMBER);
            case BOOLEAN -> s.addType(SchemaType.BOOLEAN);
            case TARGET_MODULES -> s.addType(SchemaType.STRING);
            case ADAPTER_ID -> s.addType(SchemaType.STRING).pattern("^adapter-[A-Za-z0-9_.-]{1,120}$");
            case VECTOR_BANK_ID -> s.addType(SchemaType.STRING).pattern("^vbank-[A-Za-z0-9_.-]{1,120}$");
            case BANK_MODE -> s.addType(SchemaType.STRING).enumeration(List.<Object>of("frozen"));
            case PRECISION -> s.addType(SchemaType.STRING).enumeration(List.copyOf(Hyperparameter.PRECISIONS));
            case LAYERS -> s.addType(SchemaType.ARRAY).items(OASFactory.createSchema().addType(SchemaType.INTEGER)
                    .minimum(BigDecimal.ZERO));
        }
        if (h.range() != null) {
            BigDecimal min = BigDecimal.valueOf(h.range().min()).stripTrailingZeros();
            BigDecimal max = BigDecimal.valueOf(h.range().max()).stripTrailingZeros();
            s = h.range().minExclusive() ? s.exclusiveMinimum(min) : s.minimum(min);
            s = h.range().maxExclusive() ? s.exclusiveMaximum(max) : s.maximum(max);
        }
        String methods = declared.stream().flatMap(d -> d.methods().stream()).map(MethodType::wireName).sorted()
                .collect(Collectors.joining(", "));
        String description = h.description() + ". Methods: " + methods + ".";
        // defaults are said in words, not as `default`: a generated client fills a `default` into every request, and
        // the job-scheduler takes a value that is sent as set (a LoRA-only default would be refused on a VB-LoRA job)
        if (declared.size() == 1) {
            if (h.defaultValue() != null) {
                description += " Default: " + h.defaultValue() + ".";
            }
        } else {
            description += " Default: " + declared.stream().map(d -> d.methods().stream().map(MethodType::wireName)
                    .sorted().collect(Collectors.joining("/")) + " " + d.defaultValue())
                    .collect(Collectors.joining(", ")) + ".";
        }
        return s.description(description);
    }

    private static Schema object() {
        return OASFactory.createSchema().addType(SchemaType.OBJECT);
    }
}
