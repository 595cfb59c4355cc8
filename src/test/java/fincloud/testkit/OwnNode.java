package fincloud.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the static method that starts a test class's own node (see {@link NodeExtension}); JUnit
 * resolves its parameters, so a {@code Vertx} parameter is the VertxExtension's instance.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OwnNode {
}
