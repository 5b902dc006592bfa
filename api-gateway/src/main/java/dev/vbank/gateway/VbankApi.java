package dev.vbank.gateway;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.security.SecuritySchemes;

@OpenAPIDefinition(info = @Info(title = "vbank API", version = "0.1.0",
        description = "Fine-tuning as a service built on VB-LoRA. Errors are {\"error\": {\"code\", \"message\", \"param\"}}."))
@SecuritySchemes({
        @SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
                bearerFormat = "vbk_ API key", description = "Authorization: Bearer vbk_..."),
        @SecurityScheme(securitySchemeName = "admin", type = SecuritySchemeType.HTTP, scheme = "bearer",
                description = "Authorization: Bearer <VBANK_ADMIN_TOKEN>")})
public class VbankApi extends Application {
}
