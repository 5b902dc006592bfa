package dev.vbank.artifacts.domain;

import java.util.List;

/** {@code {"object":"list","data":[..],"has_more":bool}} */
public record ListPage<T>(String object, List<T> data, boolean hasMore) {
    public static <T> ListPage<T> of(List<T> data, boolean hasMore) {
        return new ListPage<>("list", data, hasMore);
    }
}
