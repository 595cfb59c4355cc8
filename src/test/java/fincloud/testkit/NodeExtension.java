package fincloud.testkit;

import io.vertx.core.Vertx;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * Starts a node for a test class and hands it over: static fields of type {@link TestNode} and
 * {@link TestClient} are set before {@code @BeforeAll}, and parameters of those types are resolved.
 *
 * <p>By default a class gets the shared node: one per test JVM, on a Vert.x of its own, started by
 * the first class that asks and stopped when the run ends. It suits classes that open their own
 * accounts and read only those. A class that needs more (configuration overrides, a JWKS server, a
 * database proxy, interceptors on the node's Vert.x), or that reads whole tables (row counts, the
 * trial balance of a currency, the whole audit chain), declares a static method annotated
 * {@link OwnNode} that starts its node; that node is stopped after the class.
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NodeExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    List<Method> factories = AnnotationSupport.findAnnotatedMethods(testClass, OwnNode.class,
        HierarchyTraversalMode.TOP_DOWN);
    TestNode node = factories.isEmpty() ? sharedNode(context)
        : (TestNode) context.getExecutableInvoker().invoke(factories.get(0));
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    store.put(TestNode.class, node);
    store.put(OwnNode.class, !factories.isEmpty());
    store.put(TestClient.class, node.client());
    for (Field field : ReflectionSupport.findFields(testClass, NodeExtension::injectable, HierarchyTraversalMode.TOP_DOWN)) {
      field.setAccessible(true);
      field.set(null, store.get(field.getType()));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    store.get(TestClient.class, TestClient.class).close();
    if (store.get(OwnNode.class, Boolean.class)) {
      store.get(TestNode.class, TestNode.class).stop();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestNode.class || type == TestClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NAMESPACE).get(parameter.getParameter().getType());
  }

  private static boolean injectable(Field field) {
    return Modifier.isStatic(field.getModifiers())
        && (field.getType() == TestNode.class || field.getType() == TestClient.class);
  }

  private static TestNode sharedNode(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(SharedNode.class, key -> new SharedNode(), SharedNode.class).node;
  }

  /** The shared node and its Vert.x, closed by JUnit when the whole run ends. */
  private static final class SharedNode implements ExtensionContext.Store.CloseableResource {
    final Vertx vertx = Vertx.vertx();
    final TestNode node = TestNode.start(vertx);

    @Override
    public void close() {
      node.stop();
      vertx.close().await();
    }
  }
}
