package dev.vbank.gateway.tenants;

import jakarta.enterprise.context.RequestScoped;

/** The tenant the request's API key belongs to (set by {@code AuthFilter}; never taken from the client). */
@RequestScoped
public class CurrentTenant {

    private Tenant tenant;

    void set(Tenant tenant) {
        this.tenant = tenant;
    }

    public Tenant get() {
        if (tenant == null) {
            throw new IllegalStateException("no authenticated tenant in this request");
        }
        return tenant;
    }

    public String id() {
        return get().id();
    }
}
