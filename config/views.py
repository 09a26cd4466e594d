from django.views.generic import TemplateView

from participation.selectors import community_list_public, process_list_public


class HomeView(TemplateView):
    """The front door: communities now; processes, campaigns and shop as they land."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["communities"] = community_list_public()
        context["processes"] = process_list_public()
        return context
