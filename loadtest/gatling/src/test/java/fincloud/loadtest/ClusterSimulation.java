package fincloud.loadtest;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Simulation;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The transfers workload spread evenly over several gateways of one cluster ({@code -DbaseUrls=
 * http://127.0.0.1:8080,http://127.0.0.1:8081}); the rates are totals over the cluster. The data
 * is made through the first gateway; every node shares the ledger, so a transfer between accounts
 * opened elsewhere must work anywhere. Each gateway's requests are named after it in the report.
 */
public class ClusterSimulation extends Simulation {
  private final LoadSettings settings = LoadSettings.cluster();
  private final Bank bank = new Bank(settings.baseUrls().get(0), settings);

  {
    List<PopulationBuilder> populations = new ArrayList<>();
    double share = 1.0 / settings.baseUrls().size();
    for (String url : settings.baseUrls()) {
      URI uri = URI.create(url);
      String suffix = " @" + uri.getHost() + ":" + uri.getPort();
      populations.addAll(new TransferLoad(settings, bank, suffix).populations(url, share));
    }
    setUp(populations).assertions(TransferLoad.assertions(settings));
  }

  @Override
  public void before() {
    bank.open();
  }

  @Override
  public void after() {
    System.out.println("loadtest: trial balance after the run: " + bank.checkTrialBalance());
  }
}
